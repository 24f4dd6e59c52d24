/**
 * No tenant can stall the server with a pattern (issue 23 items 1-2): the real server in a child
 * process gets the regex and glob attacks, and a concurrent /health must answer while they
 * run. With a backtracking engine these attacks take 2^40 and C(100, 10) ≈ 10^13 steps, so the
 * server would not answer /health within the bound below; with RE2 they finish in milliseconds.
 */
import { request } from 'node:http';
import { join } from 'node:path';
import { startServer, type Child } from '../helpers/server-child.js';
import { tempDir } from '../helpers/temp-dir.js';

/** How long /health may take while an attack runs (generous: an idle server answers in ms). */
const HEALTH_BOUND_MS = 5000;

interface Answer {
  status: number;
  body: string;
}

function call(port: number, method: string, path: string, body?: unknown, timeoutMs = 60_000) {
  return new Promise<Answer>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent: false,
        headers: { 'Content-Type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.setTimeout(timeoutMs, () =>
      req.destroy(new Error(`${method} ${path}: no answer in ${timeoutMs} ms`)),
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** Sends the attack, then /health while it runs; both answers. */
async function healthDuring(server: Child, path: string, body: unknown) {
  const attack = call(server.port, 'POST', `/api/v1${path}`, body);
  attack.catch(() => undefined); // awaited below; a stalled server is reported by /health first
  await new Promise((resolve) => setTimeout(resolve, 300));
  const health = await call(server.port, 'GET', '/health', undefined, HEALTH_BOUND_MS);
  return { health, attack: await attack };
}

let dir: ReturnType<typeof tempDir>;
let server: Child;
beforeAll(async () => {
  dir = tempDir('vs-stall-');
  server = await startServer(join(dir.path, 'store'), {});
  const write = (uri: string, content: string) =>
    call(server.port, 'POST', '/api/v1/content/write', { uri, content });
  expect((await write('viking://resources/attack/line.md', `${'a'.repeat(40)}\nnot here\n`)).status).toBe(
    200,
  );
  expect((await write(`viking://resources/attack/${'a'.repeat(100)}`, 'x')).status).toBe(200);
});
afterAll(() => {
  server.process.kill('SIGKILL');
  dir.remove();
});

test('a backtracking grep pattern does not stall /health, and answers correctly', async () => {
  const body = { uri: 'viking://resources/attack', pattern: '(a|a)*b' };
  const { health, attack } = await healthDuring(server, '/search/grep', body);
  expect(health.status).toBe(200);
  expect(attack.status).toBe(200);
  expect(JSON.parse(attack.body)).toMatchObject({ result: { matches: [], count: 0 } });
});

test('a backtracking glob does not stall /health, and answers correctly', async () => {
  const body = { uri: 'viking://resources/attack', pattern: `${'*a'.repeat(10)}*b` };
  const { health, attack } = await healthDuring(server, '/search/glob', body);
  expect(health.status).toBe(200);
  expect(attack.status).toBe(200);
  expect(JSON.parse(attack.body)).toMatchObject({ result: { matches: [], count: 0 } });
});

test('unsupported grep constructs are a 400 naming them', async () => {
  const answer = await call(server.port, 'POST', '/api/v1/search/grep', {
    uri: 'viking://resources',
    pattern: '(a)\\1',
  });
  expect(answer.status).toBe(400);
  expect(JSON.parse(answer.body)).toMatchObject({
    error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining('backreference') },
  });
});
