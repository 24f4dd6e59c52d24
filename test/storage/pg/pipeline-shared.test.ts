/**
 * Several processes on one PostgreSQL journal (SPEC 14): pipelines sharing `index_jobs` and one
 * index, each with its own worker id, as separate processes would. Every job is applied exactly
 * once and in order within its account; a wait on one process is released by a job another applied
 * (then afterApplied runs); a `worker: false` pipeline (ROLE=api) never applies a job; a worker that
 * dies holding jobs loses them to another once its lease lapses; a rebuild journaled by one process
 * makes another refuse searches of the account until it is applied; a job one process dropped fails
 * the waits of another and counts in its status.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Embedder } from '../../../src/embedders/embedder.js';
import { IndexGuard } from '../../../src/indexing/guard.js';
import { IndexPipeline } from '../../../src/indexing/pipeline.js';
import { IndexStore } from '../../../src/index/store.js';
import { logger } from '../../../src/log.js';
import { PgJournal } from '../../../src/storage/pg/journal.js';
import { poolDatabase, type SqlDatabase } from '../../../src/storage/pg/sql.js';
import { pathOfUri } from '../../../src/storage/paths.js';
import { GatedEmbedder } from '../../helpers/gated-embedder.js';
import { FALSE_FALSE } from '../../helpers/index-fixture.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/pg.js';
import { RecordingEmbedder, type Embedded } from '../../helpers/recording-embedder.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { LocalFileStorage } from '../../../src/storage/local-files.js';
import type { QueryResultRow } from 'pg';
import { canonicalUri } from '../../../src/policy/index.js';

let db: TestDatabase;
let sql: SqlDatabase;
let dir: { path: string; remove: () => void };
let dataDir: string;
let store: IndexStore;
let log: Embedded[];
const running: IndexPipeline[] = [];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  db = await createTestDatabase();
  sql = poolDatabase(db.pool);
  dir = tempDir('vs-shared-');
  dataDir = join(dir.path, 'store');
  store = await IndexStore.open({ uri: join(dir.path, 'lancedb'), embedder: new RecordingEmbedder('') });
});
afterAll(async () => {
  await store.close();
  await db.drop();
  dir.remove();
});
beforeEach(async () => {
  log = [];
  await sql.query('TRUNCATE index_jobs, index_failures');
});
afterEach(async () => {
  for (const p of running.splice(0)) await p.stop(1000);
});

interface ProcessOptions {
  readonly worker?: boolean;
  readonly leaseMs?: number;
  readonly db?: SqlDatabase;
  readonly embedder?: Embedder;
  readonly afterApplied?: () => Promise<void>;
}

/** A pipeline as one process would run it: its own worker id, the shared journal, data and index. */
async function startProcess(name: string, options: ProcessOptions = {}): Promise<IndexPipeline> {
  const journal = new PgJournal(options.db ?? sql, {
    workerId: name,
    pool: db.pool,
    ...(options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }),
  });
  const pipeline = new IndexPipeline({
    dataDir,
    files: new LocalFileStorage(dataDir),
    store,
    embedder: options.embedder ?? new RecordingEmbedder(name, log),
    policyOf: () => Promise.resolve(FALSE_FALSE),
    messages: { message: () => Promise.resolve(null), messagesIn: () => [] },
    log: logger,
    retryDelayMs: 5,
    batchSize: 3,
    journal,
    ...(options.worker === undefined ? {} : { worker: options.worker }),
    ...(options.afterApplied === undefined ? {} : { afterApplied: options.afterApplied }),
  });
  await pipeline.start();
  running.push(pipeline);
  return pipeline;
}

async function written(p: IndexPipeline, account: string, uri: string, content: string) {
  const path = pathOfUri(dataDir, account, uri);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content);
  return p.fileWritten(account, canonicalUri(uri));
}

const appliedBy = (name: string) => log.filter((e) => e.by === name).map((e) => e.text);

/** Resolves once `holds()` (checked every 10 ms); fails after 10 s. */
async function until(holds: () => boolean): Promise<void> {
  for (const start = Date.now(); !holds(); await sleep(10))
    if (Date.now() - start > 10_000) throw new Error('condition not reached within 10 s');
}

/** Refuses to embed any text with `poison` in it (a job that fails every attempt). */
class PoisonedEmbedder extends RecordingEmbedder {
  override embed(texts: readonly string[]): Promise<Float32Array[]> {
    if (texts.some((t) => t.includes('poison'))) return Promise.reject(new Error('poisoned text'));
    return super.embed(texts);
  }
}

test('two workers apply every job exactly once, in order within each account', async () => {
  const a = await startProcess('a');
  const b = await startProcess('b');
  const tickets: number[] = [];
  const expected = new Map<string, string[]>();
  for (let i = 0; i < 40; i++) {
    const account = `acct${i % 4}`;
    const text = `${account}-${i}`;
    expected.set(account, [...(expected.get(account) ?? []), text]);
    tickets.push(...(await written(i % 2 === 0 ? a : b, account, `viking://resources/f${i}.md`, text)));
  }
  await a.waitFor(tickets, 60_000);
  await b.waitFor(tickets, 60_000);
  const texts = log.map((e) => e.text);
  expect([...texts].sort()).toEqual([...expected.values()].flat().sort());
  for (const [account, order] of expected)
    expect(texts.filter((t) => t.startsWith(`${account}-`))).toEqual(order);
  expect(appliedBy('a').length).toBeGreaterThan(0);
  expect(appliedBy('b').length).toBeGreaterThan(0);
  expect((await a.status()).queue_depth).toBe(0);
});

test('a wait on an API process is released by the job a worker elsewhere applied, after afterApplied', async () => {
  let caughtUp = 0;
  const api = await startProcess('api', {
    worker: false,
    afterApplied: () => Promise.resolve(void (caughtUp += 1)),
  });
  const tickets = await written(api, 'waiter', 'viking://resources/w.md', 'waiter-words');
  // No worker runs yet: the API process does not apply it.
  await expect(api.waitFor(tickets, 600)).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
  expect(await api.pendingFor('waiter')).toBe(1);
  await startProcess('worker');
  await api.waitFor(tickets, 20_000);
  expect(caughtUp).toBe(1);
  expect(appliedBy('worker')).toEqual(['waiter-words']);
  const more = await written(api, 'waiter', 'viking://resources/x.md', 'waiter-more');
  await api.waitForAccount('waiter', 20_000);
  await api.waitFor(more, 1000);
  expect(appliedBy('api')).toEqual([]);
  expect(await store.countRows()).toBeGreaterThanOrEqual(2);
});

test('a worker that dies holding jobs loses them to another once its lease lapses', async () => {
  let cut = false;
  const refuse = () => Promise.reject(new Error('connection cut'));
  // The dying process's connection: once cut, its lease is no longer renewed.
  const cuttable: SqlDatabase = {
    query: <R extends QueryResultRow>(text: string, params?: unknown[]) =>
      cut ? refuse() : sql.query<R>(text, params),
    transaction: (fn) => (cut ? refuse() : sql.transaction(fn)),
  };
  const gated = new GatedEmbedder(new RecordingEmbedder('doomed', log));
  gated.close('doomgate');
  const doomed = await startProcess('doomed', { leaseMs: 600, db: cuttable, embedder: gated });
  const tickets = await written(doomed, 'doom', 'viking://resources/d.md', 'doomgate held');
  await gated.reached('doomgate');
  const survivor = await startProcess('survivor');
  // Alive, the holder renews its lease: the job stays its own well past one lease.
  await sleep(1500);
  expect(appliedBy('survivor')).toEqual([]);
  cut = true;
  await survivor.waitFor(tickets, 20_000);
  expect(appliedBy('survivor')).toEqual(['doomgate held']);
  gated.open('doomgate');
});

test("a rebuild journaled by another process refuses this one's searches of the account until applied", async () => {
  const searcher = await startProcess('searcher', { worker: false });
  const guard = new IndexGuard({
    dataDir,
    files: new LocalFileStorage(dataDir),
    lancedbUri: join(dir.path, 'lancedb'),
    store,
    pipeline: searcher,
    log: logger,
  });
  await expect(guard.assertSearchable('rebuilt')).resolves.toBeUndefined();
  // Started after the searcher, which thus never saw this job among its own or at its start.
  const other = await startProcess('other', { worker: false });
  const tickets = await other.rebuild(['rebuilt'], 'test');
  await until(() => searcher.rebuilding('rebuilt'));
  await expect(guard.assertSearchable('rebuilt')).rejects.toMatchObject({
    code: 'UNAVAILABLE',
    details: { account_id: 'rebuilt' },
  });
  await expect(guard.assertSearchable('untouched')).resolves.toBeUndefined();
  expect(await guard.state()).toBe('rebuilding');
  await startProcess('rebuilder');
  await searcher.waitFor(tickets, 20_000);
  await until(() => !searcher.rebuilding('rebuilt'));
  await expect(guard.assertSearchable('rebuilt')).resolves.toBeUndefined();
  expect(await guard.state()).toBe('ok');
});

test('a job dropped by one process fails a wait on another with INTERNAL and counts in every status', async () => {
  const api = await startProcess('api', { worker: false });
  const worker = await startProcess('worker', { embedder: new PoisonedEmbedder('worker', log) });
  const bad = await written(api, 'fragile', 'viking://resources/bad.md', 'poison words');
  await expect(api.waitFor(bad, 20_000)).rejects.toMatchObject({
    code: 'INTERNAL',
    details: { uri: 'viking://resources/bad.md', indexed: false },
  });
  expect((await api.status()).failed_jobs).toBe(1);
  expect((await worker.status()).failed_jobs).toBe(1);
  // Kept for other waits, the failure blocks neither the account's later jobs nor a later wait's answer.
  const good = await written(api, 'fragile', 'viking://resources/good.md', 'healthy words');
  await api.waitFor(good, 20_000);
  expect(appliedBy('worker')).toEqual(['healthy words']);
  await expect(api.waitFor(bad, 20_000)).rejects.toMatchObject({ code: 'INTERNAL' });
});
