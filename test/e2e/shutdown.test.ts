/**
 * Graceful, bounded shutdown of the real server in a child process (src/serve.ts): on SIGTERM a
 * request in flight on a keep-alive connection completes, with `Connection: close`, while new
 * connections are refused; with a large index batch stuck in the embedder, the process still exits
 * within SHUTDOWN_TIMEOUT_S, and the unfinished jobs are done by the next start.
 */
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { errnoOf } from '../../src/errors.js';
import { and, eq, subtree } from '../../src/policy/index.js';
import { fullApp, searchUris } from '../helpers/full-app.js';
import { startServer } from '../helpers/server-child.js';
import { tempDir } from '../helpers/temp-dir.js';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function call(port: number, agent: Agent | false, method: string, path: string, body?: unknown) {
  return new Promise<Answer>((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method, path, agent, headers: { 'Content-Type': 'application/json' } },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const write = (port: number, agent: Agent | false, uri: string, wait = false) =>
  call(port, agent, 'POST', '/api/v1/content/write', { uri, content: `shutdown test ${uri}`, wait });

test('SIGTERM lets an in-flight keep-alive request finish with Connection: close', async () => {
  const dir = tempDir('vs-drain-');
  const server = await startServer(join(dir.path, 'store'), { SLOW_EMBED_MS: '2500' });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const health = await call(server.port, agent, 'GET', '/health');
    expect(health.headers.connection).toBe('keep-alive');
    // Same socket: answered once the slowed embedder has indexed it.
    const inflight = write(server.port, agent, 'viking://resources/inflight.md', true);
    await new Promise((resolve) => setTimeout(resolve, 500));
    server.process.kill('SIGTERM');
    // The listener closes at once: new connections are refused while the request still runs.
    let refused = false;
    for (let i = 0; i < 40 && !refused; i++) {
      refused = await call(server.port, false, 'GET', '/health').then(
        () => false,
        (error: unknown) => errnoOf(error) === 'ECONNREFUSED',
      );
      if (!refused) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(refused).toBe(true);
    const answer = await inflight;
    expect(answer.status).toBe(200);
    expect(answer.headers.connection).toBe('close');
    expect((await server.exited).code).toBe(0);
  } finally {
    agent.destroy();
    server.process.kill('SIGKILL');
    dir.remove();
  }
});

const FILES = 40;

test('shutdown is bounded with a large index batch pending, and its jobs are done at the next start', async () => {
  const dir = tempDir('vs-bounded-');
  const dataDir = join(dir.path, 'store');
  // Every embed call takes a minute: the first batch cannot finish before the deadline.
  const server = await startServer(dataDir, {
    SLOW_EMBED_MS: '60000',
    SHUTDOWN_TIMEOUT_S: '1',
    MAX_INDEX_LAG_S: '3600',
  });
  try {
    for (let i = 0; i < FILES; i++) {
      const answer = await write(server.port, false, `viking://resources/batch/f${i}.md`);
      expect(answer.status).toBe(200);
    }
    const signalled = Date.now();
    server.process.kill('SIGTERM');
    const exit = await server.exited;
    expect(exit.code).toBe(0);
    // The bound is 1 s; without it the process would wait minutes for the embedder.
    expect(exit.at - signalled).toBeLessThan(15_000);
  } finally {
    server.process.kill('SIGKILL');
  }
  try {
    const next = await fullApp({ dataDir });
    await next.services.pipeline.waitIdle();
    const where = and(eq('account_id', 'default'), subtree('viking://resources/batch'));
    const uris = new Set((await next.services.store.scan(where)).map((r) => r.uri));
    expect(uris.size).toBe(FILES);
    const client = next.client({ account: 'default', user: 'default', root: true });
    const found = await searchUris(client, { query: 'f37.md', mode: 'fulltext' });
    expect(found).toContain('viking://resources/batch/f37.md');
    await next.close({ keepData: true });
  } finally {
    dir.remove();
  }
});
