/**
 * The benchmark's server-alone phase (scripts/bench/server.ts): the compiled server started as its
 * own process on a DATA_DIR written in-process, timed until ready with its mirror loaded, its memory
 * read from /proc, queried, and stopped cleanly; a server that dies before listening is reported
 * with its output; the environment it gets names no store but the benchmark's.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALLOCATOR_ENV } from '../../src/allocator.js';
import { loadConfig } from '../../src/config.js';
import { fileRecords } from '../../src/indexing/records.js';
import { logger } from '../../src/log.js';
import { buildServices } from '../../src/services.js';
import { lockDataDir } from '../../src/storage/lock.js';
import {
  measureRestart,
  measureServer,
  parseProcStatus,
  serverEnv,
  startServer,
  type ServerStats,
} from '../../scripts/bench/server.js';
import { buildProject } from '../helpers/compiled.js';
import { tempDir } from '../helpers/temp-dir.js';

const ROOT_KEY = 'bench-server-test-root-key-0123456789';
const RECORDS = 30;
const POLICY = { isolate_user_scope_by_agent: false, isolate_agent_scope_by_user: false };
const work = tempDir('vs-bench-server-');
let build: { path: string; remove: () => void };

beforeAll(() => {
  build = buildProject();
}, 120_000);
afterAll(() => {
  work.remove();
  build.remove();
});

/** A DATA_DIR holding account `acme` and RECORDS resource records, written through the services. */
async function dataDir(name: string): Promise<string> {
  const dir = join(work.path, name);
  const config = loadConfig({
    DATA_DIR: dir,
    EMBEDDER: 'builtin',
    ROOT_API_KEY: ROOT_KEY,
    LOG_LEVEL: 'silent',
  });
  const services = await buildServices(config, logger);
  try {
    await services.accounts.createAccount('acme', 'admin', POLICY);
    const drafts = Array.from({ length: RECORDS }, (_, i) =>
      fileRecords('acme', `viking://resources/docs/f${i}.md`, `quokka note ${i}`, POLICY, {
        created_at: i,
        updated_at: i,
      }),
    ).flat();
    const vectors = await services.embedder.embed(drafts.map((d) => d.text));
    await services.store.upsert(drafts.map((d, i) => ({ ...d, vector: vectors[i]! })));
  } finally {
    await services.close();
  }
  return dir;
}

/** A POST of `body` to `path` as ROOT of acme. */
function postAsRoot(base: string, path: string, body: unknown): Promise<Response> {
  return fetch(`${base}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-api-key': ROOT_KEY,
      'x-openviking-account': 'acme',
      'x-openviking-user': 'admin',
    },
    body: JSON.stringify(body),
  });
}

/** One vector search as ROOT of acme; its hit count stands in for the benchmark's query phase. */
async function findAsRoot(base: string): Promise<ServerStats['http']> {
  const response = await postAsRoot(base, '/api/v1/search/find', {
    query: 'quokka',
    limit: 10,
    mode: 'vector',
  });
  const body = (await response.json()) as { result: { resources: unknown[] } };
  return { p50_ms: 1, p99_ms: 1, queries: body.result.resources.length };
}

/** A small write as ROOT of acme: its HTTP status. */
async function writeAsRoot(base: string): Promise<number> {
  const response = await postAsRoot(base, '/api/v1/content/write', {
    uri: 'viking://resources/first.md',
    content: 'written at start-up',
  });
  await response.arrayBuffer();
  return response.status;
}

test('the server alone: ready with its mirror loaded, memory from /proc, queried, stopped cleanly', async () => {
  const dir = await dataDir('served');
  const notes: string[] = [];
  const lines: string[] = [];
  const options = {
    entry: join(build.path, 'src', 'main.js'),
    dataDir: dir,
    rootKey: ROOT_KEY,
    onLine: (line: string) => lines.push(line),
  };
  // The first write is sent as soon as the server listens; two refusals stand in for a busy start.
  let sent = 0;
  const written: number[] = [];
  const probe = async (base: string): Promise<number> => {
    sent += 1;
    const status = sent <= 2 ? 429 : await writeAsRoot(base);
    written.push(status);
    return status;
  };
  const stats = await measureServer(options, 60_000, findAsRoot, (n) => notes.push(n), probe);

  expect(written).toEqual([429, 429, 200]);
  expect(stats).toMatchObject({ first_write_refusals: 2, first_write_mirror: expect.any(String) });
  expect(stats.first_write_s).toBeGreaterThan(0);
  // The write's records may or may not be indexed yet when the mirror is ready.
  expect(stats).toMatchObject({ mirror: 'ready', http: { queries: 10 } });
  expect(stats.records).toBeGreaterThanOrEqual(RECORDS);
  expect(stats.listening_s).toBeGreaterThan(0);
  expect(stats.startup_s).toBeGreaterThanOrEqual(stats.listening_s);
  expect(stats.rss_mb).toBeGreaterThan(20);
  expect(stats.peak_rss_mb).toBeGreaterThanOrEqual(stats.rss_after_queries_mb);
  expect(stats.mirror_mb).toBeGreaterThanOrEqual(0);
  expect(lines.some((l) => /auth mode: api_key/.test(l))).toBe(true);
  expect(notes.filter((n) => /WARNING/.test(n))).toEqual([]);
  // A restart on the same data: its own first write, readiness and memory.
  const restarted = await measureRestart(options, 60_000, (n) => notes.push(n), writeAsRoot);
  expect(restarted).toMatchObject({ first_write_refusals: 0, first_write_mirror: expect.any(String) });
  expect(restarted.first_write_s).toBeGreaterThan(0);
  expect(restarted.startup_s).toBeGreaterThanOrEqual(restarted.listening_s);
  expect(restarted.rss_mb).toBeGreaterThan(20);
  expect(notes.filter((n) => /WARNING/.test(n))).toEqual([]);
  // It stopped and released the DATA_DIR: the lock can be taken again.
  const unlock = await lockDataDir(dir);
  await unlock();
}, 90_000);

test('with the mirror disabled, ready means /ready answers and the mirror is reported off', async () => {
  const dir = await dataDir('no-mirror');
  const options = {
    entry: join(build.path, 'src', 'main.js'),
    dataDir: dir,
    rootKey: ROOT_KEY,
    searchMemoryMb: '0',
  };
  const stats = await measureServer(options, 60_000, findAsRoot, () => undefined);
  expect(stats).toMatchObject({ records: 0, mirror: 'off (disabled)', mirror_mb: 0, http: { queries: 10 } });
  expect(stats).toMatchObject({ first_write_s: null, first_write_refusals: 0, first_write_mirror: null });
}, 90_000);

test('a first write refused otherwise than by a busy server fails the measurement', async () => {
  const dir = await dataDir('bad-write');
  const options = { entry: join(build.path, 'src', 'main.js'), dataDir: dir, rootKey: ROOT_KEY };
  await expect(
    measureServer(
      options,
      60_000,
      findAsRoot,
      () => undefined,
      () => Promise.resolve(400),
    ),
  ).rejects.toThrow(/the first write got HTTP 400/);
}, 90_000);

test('a server that exits before listening is reported with its output', async () => {
  const entry = join(work.path, 'dies.mjs');
  writeFileSync(entry, "process.stderr.write('cannot start: boom\\n'); process.exit(3);\n");
  const options = { entry, dataDir: join(work.path, 'unused'), rootKey: ROOT_KEY };
  await expect(startServer(options)).rejects.toThrow(
    /exited \(code 3\) before listening: cannot start: boom/,
  );
});

test("the server's environment names only the benchmark's store", () => {
  const saved = { ...process.env };
  process.env['LANCEDB_URI'] = 's3://real-bucket/records';
  process.env['DATA_DIR'] = '/srv/real';
  try {
    const env = serverEnv({
      entry: 'x',
      dataDir: '/tmp/bench',
      rootKey: 'k',
      searchMemoryMb: '512',
      searchThreads: '1',
    });
    expect(env).toEqual({
      ...ALLOCATOR_ENV,
      PATH: process.env['PATH'] ?? '',
      DATA_DIR: '/tmp/bench',
      ROOT_API_KEY: 'k',
      EMBEDDER: 'builtin',
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'warn',
      SEARCH_MEMORY_MB: '512',
      SEARCH_THREADS: '1',
    });
  } finally {
    process.env = saved;
  }
});

test.each([
  ['Name:\tnode\nVmHWM:\t  3355443 kB\nVmRSS:\t  3145728 kB\n', { rss_mb: 3072, peak_rss_mb: 3277 }],
  ['VmRSS:\t1024 kB\nVmHWM:\t2048 kB', { rss_mb: 1, peak_rss_mb: 2 }],
])('parseProcStatus reads VmRSS and VmHWM in MiB', (text, expected) => {
  expect(parseProcStatus(text)).toEqual(expected);
});

test('parseProcStatus refuses a status without the fields', () => {
  expect(() => parseProcStatus('Name:\tnode\n')).toThrow(/no VmRSS/);
});
