/**
 * Issue 14, item 3: the data directory turns read-only under a running server (EROFS injected: no
 * root needed, and chmod does not stop root). Reads keep working, also for an identity seen for the
 * first time; changes answer 507 INSUFFICIENT_STORAGE naming the cause; /ready is 503 with it; the
 * services close cleanly, and the real server exits 0 on SIGTERM.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { z } from 'zod';
import { mockFsFaults } from '../helpers/fs-faults.js';
import { REPO_ROOT } from '../helpers/compiled.js';
import { tempDir } from '../helpers/temp-dir.js';

const faults = mockFsFaults();
const { fullApp, ROOT_KEY } = await import('../helpers/full-app.js');

const errorOf = (res: { body: unknown }) =>
  z
    .object({
      error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()) }),
    })
    .parse(res.body).error;

const READ_ONLY = {
  code: 'INSUFFICIENT_STORAGE',
  message: expect.stringMatching(/read-only \(EROFS\)/) as string,
  details: { reason: 'read_only', errno: 'EROFS' },
};

test('read-only data dir: reads work, changes are 507 naming the cause, /ready is 503, close succeeds', async () => {
  const t = await fullApp({ accounts: [{ account_id: 'acme', users: ['alice'] }] });
  let closed = false;
  try {
    const alice = t.client({ account: 'acme', user: 'alice' });
    await alice
      .post('/api/v1/content/write')
      .send({ uri: 'viking://resources/a.md', content: 'kept', wait: true })
      .expect(200);
    faults.inject('EROFS', t.dataDir);

    // An identity never seen before (its scope folders cannot be made) can still read.
    const newcomer = t.client({ account: 'acme', user: 'newcomer', root: true });
    const listed = await newcomer.get('/api/v1/fs/ls').query({ uri: 'viking://resources', simple: true });
    expect(listed.status).toBe(200);
    expect(listed.body).toMatchObject({ result: ['viking://resources/a.md'] });
    await alice.get('/api/v1/content/read').query({ uri: 'viking://resources/a.md' }).expect(200);
    await alice.post('/api/v1/search/find').send({ query: 'kept' }).expect(200);

    const refused = [
      await alice.post('/api/v1/content/write').send({ uri: 'viking://resources/a.md', content: 'changed' }),
      await alice.post('/api/v1/sessions').send({ session_id: 's1' }),
      await alice.post('/api/v1/sessions/s2/messages').send({ role: 'user', content: 'hello' }),
      await alice.delete('/api/v1/fs').query({ uri: 'viking://resources/a.md' }),
      await newcomer.post('/api/v1/fs/mkdir').send({ uri: 'viking://resources/folder' }),
    ];
    for (const res of refused) {
      expect(res.status).toBe(507);
      expect(errorOf(res)).toMatchObject(READ_ONLY);
    }
    const ready = await request(t.app).get('/ready').expect(503);
    expect(errorOf(ready).details).toMatchObject({
      checks: { storage: 'read_only', storage_error: expect.stringMatching(/read-only/) as string },
    });

    // The lock file cannot be removed; closing still succeeds and the next start takes the lock over.
    await t.services.close();
    closed = true;
    expect(existsSync(join(t.dataDir, '.vikingscope.lock'))).toBe(true);
  } finally {
    faults.clear();
    if (closed) await t.close().catch(() => undefined);
    else await t.close();
  }
});

/** Starts the real server (src/main.ts) in a child whose DATA_DIR turns read-only on SIGUSR2. */
function startServer(dataDir: string) {
  const child = spawn(
    process.execPath,
    [
      '--import',
      './test/helpers/ts-register.mjs',
      '--import',
      './test/helpers/fs-faults-preload.ts',
      'src/main.ts',
    ],
    {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        NODE_OPTIONS: '',
        LOG_LEVEL: 'silent',
        ROOT_API_KEY: ROOT_KEY,
        DATA_DIR: dataDir,
        PORT: '0',
        HOST: '127.0.0.1',
        EMBEDDER: 'builtin',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const listening = new Promise<string>((resolve, reject) => {
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const url = /listening on (http:\/\/\S+)/.exec(stdout)?.[1];
      if (url !== undefined) resolve(url);
    });
    void exited.then(({ code }) => reject(new Error(`server exited ${code}: ${stderr}`)));
  });
  return { child, listening, exited, stderr: () => stderr };
}

test('the server on a data dir turned read-only answers 507 and 503, and exits 0 on SIGTERM', async () => {
  const dir = tempDir('vs-read-only-');
  const server = startServer(dir.path);
  try {
    const url = await server.listening;
    await request(url).get('/ready').expect(200);
    server.child.kill('SIGUSR2');
    // The signal is handled asynchronously: poll until the server sees the read-only disk.
    let ready = await request(url).get('/ready');
    for (let i = 0; i < 100 && ready.status === 200; i++) ready = await request(url).get('/ready');
    expect(ready.status).toBe(503);
    const write = await request(url)
      .post('/api/v1/content/write')
      .set('X-API-Key', ROOT_KEY)
      .set('X-OpenViking-Account', 'default')
      .set('X-OpenViking-User', 'alice')
      .send({ uri: 'viking://resources/x.md', content: 'x' });
    expect(write.status).toBe(507);
    expect(errorOf(write)).toMatchObject(READ_ONLY);

    server.child.kill('SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
  } finally {
    server.child.kill('SIGKILL');
    dir.remove();
  }
});
