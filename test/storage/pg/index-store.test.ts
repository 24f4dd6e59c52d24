/**
 * PgIndexStore as distributed mode runs it: several processes (here: stores on their own pools) on
 * one PostgreSQL, each with its in-memory cache of the index records. A write on one is found on the
 * other once that one caught up — by NOTIFY, or by polling when notifications are lost; deletes and
 * purges disappear the same way; a restarted store loads from PostgreSQL and reflects its seq. A
 * write PostgreSQL refuses leaves the cache as it was and its retry converges. Purges fence off
 * records read before them; records built with another embedder are refused; tombstones go by age
 * and a cache behind them reloads.
 */
import { PgIndexStore, type PgStoreOptions } from '../../../src/index/pg-store.js';
import { TombstonePurger } from '../../../src/index/pg-tombstones.js';
import { logger } from '../../../src/log.js';
import { and, eq, subtree, type Expr } from '../../../src/policy/index.js';
import { listenOn } from '../../../src/storage/pg/catch-up.js';
import { createPool, type Pool } from '../../../src/storage/pg/pool.js';
import { PgRecords } from '../../../src/storage/pg/records.js';
import { poolDatabase, type SqlClient, type SqlDatabase } from '../../../src/storage/pg/sql.js';
import { closeSync } from 'node:fs';
import { record } from '../../helpers/index-record.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/pg.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { vectorFileDescriptors } from '../../helpers/vector-files.js';
import type { QueryResultRow } from 'pg';

const silent = logger.child({}, { level: 'silent' });
const EMBEDDER = { id: 'test:pg-store', dimension: 3 };
const ACME = eq('account_id', 'acme');
const QUERY = Float32Array.from([0.1, -0.2, 1 / 3]);
/** The records of the file of `record(id)`. */
const only = (id: string): Expr => and(ACME, subtree(`viking://resources/${id}.md`));

let pgDb: TestDatabase;
let second: Pool;
let db: SqlDatabase;
const open: PgIndexStore[] = [];

beforeAll(async () => {
  pgDb = await createTestDatabase();
  second = createPool(pgDb.url, { applicationName: 'vikingscope-test-second' });
  db = poolDatabase(pgDb.pool);
});
afterAll(async () => {
  await second.end();
  await pgDb.drop();
});
beforeEach(async () => {
  await db.query('TRUNCATE index_records, index_meta');
  await db.query('UPDATE index_records_horizon SET purged_seq = 0');
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

/** A store with its cache on (not purging tombstones unless asked), loaded. */
async function openStore(options: Partial<PgStoreOptions> = {}): Promise<PgIndexStore> {
  const store = await PgIndexStore.open({
    db,
    embedder: EMBEDDER,
    memoryBudgetBytes: 2 ** 22,
    tombstones: false,
    log: silent,
    ...options,
  });
  open.push(store);
  await store.whenLoaded();
  return store;
}

/** The ids a vector search finds, and its plan. */
async function found(store: PgIndexStore, filter: Expr = ACME): Promise<{ ids: string[]; plan: string }> {
  const { rows, plan } = await store.vectorSearch(QUERY, filter, 100);
  return { ids: rows.map((r) => r.id).sort(), plan: plan.name };
}

async function until(condition: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The seq the store's cache reflects (status). */
const reflects = (store: PgIndexStore): unknown => store.memoryStatus()['reflects_seq'];

describe('two processes on one database', () => {
  test('an upsert on one is found on the other after its catch-up; a delete and a purge disappear there', async () => {
    const a = await openStore({ subscribe: listenOn(pgDb.pool) });
    const b = await openStore({ db: poolDatabase(second), subscribe: listenOn(second) });
    await a.upsert([record('one'), record('two'), record('zed', { account_id: 'zeta' })]);
    await b.caughtUp();
    expect(await found(b)).toEqual({ ids: ['one', 'two'], plan: 'memory' });

    await a.deleteWhere(only('one'));
    await b.caughtUp();
    expect(await found(b)).toEqual({ ids: ['two'], plan: 'memory' });

    await a.purgeAccount('acme');
    await b.caughtUp();
    expect(await found(b)).toEqual({ ids: [], plan: 'memory' });
    expect(await found(b, eq('account_id', 'zeta'))).toEqual({ ids: ['zed'], plan: 'memory' });
    expect(await b.countRows()).toBe(1);
  });

  test('NOTIFY alone brings a change to the other cache (polling set far off)', async () => {
    const a = await openStore();
    const b = await openStore({ db: poolDatabase(second), subscribe: listenOn(second), pollMs: 600_000 });
    await a.upsert([record('heard')]);
    const seq = await new PgRecords(db).lastSeq();
    await until(() => reflects(b) === seq);
    expect(await found(b)).toEqual({ ids: ['heard'], plan: 'memory' });
  });

  test('with notifications lost (no LISTEN) polling catches the other cache up', async () => {
    const a = await openStore();
    const b = await openStore({ db: poolDatabase(second), pollMs: 50 });
    await a.upsert([record('polled')]);
    const seq = await new PgRecords(db).lastSeq();
    await until(() => reflects(b) === seq);
    expect(await found(b)).toEqual({ ids: ['polled'], plan: 'memory' });
  });

  test('a restarted store loads from PostgreSQL and reflects its seq', async () => {
    const a = await openStore();
    await a.upsert([record('kept'), record('gone')]);
    await a.deleteWhere(only('gone'));
    await a.close();
    const seq = await new PgRecords(db).lastSeq();
    const restarted = await openStore({ db: poolDatabase(second) });
    expect(reflects(restarted)).toBe(seq);
    expect(await found(restarted)).toEqual({ ids: ['kept'], plan: 'memory' });
  });

  test('a search right after a write here is answered from the cache, which it gives a moment to catch up', async () => {
    const store = await openStore();
    await store.caughtUp();
    for (let i = 0; i < 5; i++) {
      await store.upsert([record(`fresh-${i}`)]);
      // The write poked the catch-up; without the short wait this search scans PostgreSQL.
      const { ids, plan } = await found(store);
      expect(plan).toBe('memory');
      expect(ids).toContain(`fresh-${i}`);
    }
  });

  test('a search here never misses a write acknowledged here, however far the cache lags', async () => {
    // No LISTEN and no polling to speak of: the cache stays where it loaded.
    const lagging = await openStore({ pollMs: 600_000 });
    await lagging.upsert([record('mine')]);
    expect((await found(lagging)).ids).toEqual(['mine']);
    await lagging.caughtUp();
    expect(await found(lagging)).toEqual({ ids: ['mine'], plan: 'memory' });
  });
});

/** `base`, with the first query inside a transaction matching `pattern` failing once armed. */
function failingOnce(base: SqlDatabase, pattern: RegExp): SqlDatabase & { arm(): void } {
  let armed = false;
  const guard = (tx: SqlClient): SqlClient => ({
    query<R extends QueryResultRow>(text: string, params?: unknown[]) {
      if (armed && pattern.test(text)) {
        armed = false;
        return Promise.reject(new Error('injected failure'));
      }
      return tx.query<R>(text, params);
    },
  });
  return {
    arm: () => (armed = true),
    query: (text, params) => base.query(text, params),
    transaction: (fn) => base.transaction((tx) => fn(guard(tx))),
  };
}

test('a cache over its budget gives up: searches go to PostgreSQL and find everything', async () => {
  const small = await openStore({ memoryBudgetBytes: 64 * 1024 });
  const many = Array.from({ length: 400 }, (_, i) => record(`r${String(i).padStart(3, '0')}`));
  await small.upsert(many);
  await small.caughtUp();
  await until(() => small.memoryStatus()['state'] === 'off');
  const { rows, plan } = await small.vectorSearch(QUERY, ACME, 1000);
  expect(plan.name).toBe('pg-exact');
  expect(rows).toHaveLength(400);
  expect(await small.countRows(ACME)).toBe(400);
});

describe('a write PostgreSQL does not commit', () => {
  test.each([
    ['the INSERT fails', /^INSERT INTO index_records/],
    ['it fails after the INSERT ran, before COMMIT', /pg_notify/],
  ])('%s: the cache is unchanged and the retry converges', async (_name, pattern) => {
    const faulty = failingOnce(db, pattern);
    const store = await openStore({ db: faulty });
    await store.upsert([record('a', { abstract: 'first' })]);
    await store.caughtUp();
    const batch = [record('a', { abstract: 'second' }), record('b')];

    faulty.arm();
    await expect(store.upsert(batch)).rejects.toThrow('injected failure');
    await store.caughtUp();
    const { rows, plan } = await store.vectorSearch(QUERY, ACME, 10);
    expect(plan.name).toBe('memory');
    expect(rows.map((r) => [r.id, r.abstract])).toEqual([['a', 'first']]);

    await store.upsert(batch);
    await store.caughtUp();
    const after = await store.vectorSearch(QUERY, ACME, 10);
    expect(after.plan.name).toBe('memory');
    expect(after.rows.map((r) => [r.id, r.abstract]).sort()).toEqual([
      ['a', 'second'],
      ['b', 'text of b'],
    ]);
    expect(await store.countRows()).toBe(2);
    expect(await new PgRecords(db).count()).toBe(2);
  });
});

test('a cache whose load failed (the database unreachable meanwhile) is loaded again later', async () => {
  const writer = await openStore();
  await writer.upsert([record('there')]);
  const faulty = failingOnce(db, /DECLARE records_load/);
  faulty.arm();
  const store = await openStore({ db: faulty, retryMs: 50 });
  expect(store.memoryStatus()).toMatchObject({ state: 'off', reason: 'load failed' });
  expect(await found(store)).toEqual({ ids: ['there'], plan: 'pg-exact' });
  await until(() => store.memoryStatus()['state'] === 'ready');
  expect(await found(store)).toEqual({ ids: ['there'], plan: 'memory' });
});

test('purge fence: a batch that read before a purge does not write the purged account back', async () => {
  const store = await openStore();
  await store.upsert([record('old')]);
  const before = store.purgeMark();
  await store.purgeAccount('acme');
  await store.upsert([record('old'), record('other', { account_id: 'zeta' })], before);
  await store.caughtUp();
  expect((await found(store)).ids).toEqual([]);
  expect((await found(store, eq('account_id', 'zeta'))).ids).toEqual(['other']);
  expect(await store.scan(ACME)).toEqual([]);
  // A batch that read after the purge (the new account's own files) is written.
  await store.upsert([record('new')], store.purgeMark());
  await store.caughtUp();
  expect((await found(store)).ids).toEqual(['new']);
});

describe('embedder identity', () => {
  test('records built with one embedder refuse another (id or dimension) unless reset', async () => {
    const first = await openStore();
    await first.upsert([record('a')]);
    expect(await PgIndexStore.storedIdentity(db)).toEqual(EMBEDDER);
    for (const other of [
      { id: EMBEDDER.id, dimension: 4 },
      { id: 'test:other', dimension: 3 },
    ]) {
      await expect(
        PgIndexStore.open({ db, embedder: other, tombstones: false, log: silent }),
      ).rejects.toMatchObject({
        code: 'FAILED_PRECONDITION',
      });
    }
    const reset = await openStore({ embedder: { id: 'test:other', dimension: 4 }, reset: true });
    expect(await PgIndexStore.storedIdentity(db)).toEqual({ id: 'test:other', dimension: 4 });
    expect(await reset.countRows()).toBe(0);
  });

  test('a vector of another dimension is refused before it is written', async () => {
    const store = await openStore();
    await expect(store.upsert([record('a', { vector: new Float32Array(4) })])).rejects.toThrow(/dimensions/);
    expect(await new PgRecords(db).count()).toBe(0);
  });
});

describe('tombstone purging', () => {
  test('a tombstone goes once it is older than the age; a cache behind it reloads', async () => {
    const records = new PgRecords(db);
    let now = 0;
    const purger = new TombstonePurger(records, { ageMs: 1000, log: silent, now: () => now });
    const writer = await openStore();
    const behind = await openStore({ db: poolDatabase(second), pollMs: 600_000 });
    await writer.upsert([record('a'), record('b')]);
    await writer.deleteWhere(only('a'));
    expect(await purger.tick()).toBe(0);
    now = 999;
    await writer.deleteWhere(only('b'));
    expect(await purger.tick()).toBe(0);
    now = 1000;
    // Only the first delete is a second old: its tombstone goes, the later one stays.
    expect(await purger.tick()).toBe(1);
    const { rows } = await db.query<{ id: string }>('SELECT id FROM index_records WHERE deleted');
    expect(rows.map((r) => r.id)).toEqual(['b']);

    // `behind` never read those deletes: it is told to reload, and reflects both.
    await behind.caughtUp();
    expect(await found(behind)).toEqual({ ids: [], plan: 'memory' });
  });
});

test('a cache whose vector file fails is given up: searches are answered by PostgreSQL, the same ids', async () => {
  const vectors = tempDir('vs-pg-vectors-');
  try {
    const store = await openStore({ vectorDir: vectors.path });
    await store.upsert([record('one'), record('two'), record('zed', { account_id: 'zeta' })]);
    await store.caughtUp();
    expect(await found(store)).toEqual({ ids: ['one', 'two'], plan: 'memory' });
    const fds = vectorFileDescriptors(vectors.path);
    expect(fds).toHaveLength(1);
    closeSync(fds[0] as number);
    const after = await found(store);
    expect(after.ids).toEqual(['one', 'two']);
    expect(after.plan).not.toBe('memory');
    expect(store.memoryStatus()).toMatchObject({ state: 'off', reason: 'vector file failed' });
  } finally {
    vectors.remove();
  }
});
