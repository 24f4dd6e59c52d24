/**
 * The service across process restarts: an index built by one embedder refuses another at start-up
 * (SPEC 9.2), and index jobs accepted by a process killed with SIGKILL are done by the next one on
 * the same DATA_DIR (SPEC 9.3), which takes over the dead process's pid lock. Transformers and the
 * killed process run in child `node` processes (onnxruntime rejects typed arrays from jest's realm).
 */
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import { loadConfig } from '../../src/config.js';
import { logger } from '../../src/log.js';
import { and, eq, subtree } from '../../src/policy/index.js';
import { buildServices } from '../../src/services.js';
import { fullApp, ROOT_KEY, searchUris } from '../helpers/full-app.js';
import { tempDir } from '../helpers/temp-dir.js';
import { writeTinyModel } from '../helpers/tiny-model.js';

const run = promisify(execFile);
const CHILD = ['--import', './test/helpers/ts-register.mjs', 'test/helpers/services-child.ts'];
const childEnv = (dataDir: string, extra: Record<string, string>) => ({
  ...process.env,
  NODE_OPTIONS: '',
  LOG_LEVEL: 'silent',
  ROOT_API_KEY: ROOT_KEY,
  DATA_DIR: dataDir,
  ...extra,
});

const openResult = z.union([
  z.object({ ok: z.literal(true), embedder: z.string() }),
  z.object({ ok: z.literal(false), code: z.string(), message: z.string() }),
]);

async function openInChild(dataDir: string, extra: Record<string, string>) {
  const { stdout } = await run(process.execPath, [...CHILD, 'open'], {
    env: childEnv(dataDir, extra),
    timeout: 60_000,
  });
  return openResult.parse(JSON.parse(stdout));
}

describe('an index built by another embedder is refused at start-up', () => {
  const dir = tempDir('vs-e2e-embedder-');
  afterAll(() => dir.remove());
  const model = () => writeTinyModel(dir.path);

  test('builtin index, then transformers', async () => {
    const dataDir = join(dir.path, 'builtin-first');
    const first = await fullApp({ dataDir });
    await first.close({ keepData: true });
    const opened = await openInChild(dataDir, { EMBEDDER: 'transformers', EMBEDDING_MODEL: model() });
    expect(opened).toMatchObject({ ok: false, code: 'FAILED_PRECONDITION' });
    expect(opened.ok === false && opened.message).toContain('npm run reindex');
  });

  test('transformers index, then builtin (twice: the failed start released the lock)', async () => {
    const dataDir = join(dir.path, 'transformers-first');
    const opened = await openInChild(dataDir, { EMBEDDER: 'transformers', EMBEDDING_MODEL: model() });
    expect(opened).toMatchObject({ ok: true, embedder: expect.stringMatching(/^transformers:/) });
    const config = loadConfig({ ROOT_API_KEY: ROOT_KEY, DATA_DIR: dataDir, EMBEDDER: 'builtin' });
    for (let attempt = 0; attempt < 2; attempt++) {
      const failed = buildServices(config, logger);
      await expect(failed).rejects.toMatchObject({
        code: 'FAILED_PRECONDITION',
        message: expect.stringContaining('npm run reindex'),
      });
    }
  });
});

const COUNT = 24;

function writeInChildUntilKilled(dataDir: string): Promise<void> {
  const child = spawn(process.execPath, [...CHILD, 'write', String(COUNT)], {
    // The slowed embedder keeps the queue from draining on purpose: backpressure (429 once the lag
    // passes MAX_INDEX_LAG_S, soon on a loaded machine) is not what this test is about.
    env: childEnv(dataDir, { EMBEDDER: 'builtin', MAX_INDEX_LAG_S: '3600' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('written')) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) =>
      signal === 'SIGKILL' ? resolve() : reject(new Error(`child exited ${code}: ${stderr}`)),
    );
  });
}

/** Jobs in the journal not yet acknowledged (the queue's file format, read only to prove the point). */
function unfinishedJobs(dataDir: string): number {
  const ack = Number(readFileSync(join(dataDir, 'index/queue.ack'), { encoding: 'utf8', flag: 'a+' }) || 0);
  const lines = readFileSync(join(dataDir, 'index/queue.jsonl'), 'utf8').split('\n').filter(Boolean);
  return lines.map((l) => z.object({ seq: z.number() }).parse(JSON.parse(l)).seq).filter((s) => s > ack)
    .length;
}

test('files written by a process killed before its queue drained are indexed after restart', async () => {
  const dir = tempDir('vs-e2e-crash-');
  const dataDir = join(dir.path, 'store');
  try {
    await writeInChildUntilKilled(dataDir);
    expect(unfinishedJobs(dataDir)).toBeGreaterThan(0);
    // The dead child's pid lock is still there; building takes it over.
    const t = await fullApp({ dataDir });
    await t.services.pipeline.waitIdle();
    const where = and(eq('account_id', 'default'), subtree('viking://resources/crash'));
    const uris = new Set((await t.services.store.scan(where)).map((r) => r.uri));
    const expected = Array.from({ length: COUNT }, (_, i) => `viking://resources/crash/f${i}.md`);
    expect([...uris].sort()).toEqual([...expected].sort());
    expect(unfinishedJobs(dataDir)).toBe(0);
    const client = t.client({ account: 'default', user: 'default', root: true });
    const found = await searchUris(client, { query: 'number7', mode: 'fulltext' });
    expect(found).toEqual(['viking://resources/crash/f7.md']);
    await t.close({ keepData: true });
  } finally {
    dir.remove();
  }
});
