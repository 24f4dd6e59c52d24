/**
 * The index records on a real PostgreSQL: the table has the columns of policy/columns.ts; upserts
 * and deletes (tombstones) are read back in seq order by a catch-up reader, which LISTENs for
 * promptness and polls as a safety net; concurrent writers never let a reader skip a change; purged
 * tombstones make a reader behind them reload.
 */
import { and, COLUMN_NAMES, eq, subtree } from '../../../src/policy/index.js';
import { CatchUp, listenOn } from '../../../src/storage/pg/catch-up.js';
import { PgRecords, type RecordChange } from '../../../src/storage/pg/records.js';
import { poolDatabase, type SqlDatabase } from '../../../src/storage/pg/sql.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/pg.js';
import { record } from '../../helpers/index-record.js';

let db: TestDatabase;
let sql: SqlDatabase;
let records: PgRecords;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  db = await createTestDatabase();
  sql = poolDatabase(db.pool);
  records = new PgRecords(sql);
});
afterAll(() => db.drop());
beforeEach(async () => {
  await sql.query('TRUNCATE index_records');
  await sql.query('UPDATE index_records_horizon SET purged_seq = 0');
});

test('the table holds the columns of policy/columns.ts, then seq and deleted', async () => {
  const { rows } = await sql.query<{ name: string }>(
    `SELECT column_name AS name FROM information_schema.columns
     WHERE table_name = 'index_records' AND column_name <> 'embedding' ORDER BY ordinal_position`,
  );
  expect(rows.map((r) => r.name)).toEqual([...COLUMN_NAMES, 'seq', 'deleted']);
});

test('records round-trip exactly; upserts and deletes come back in seq order, deletes as tombstones', async () => {
  const hostile = record('h', {
    text: "it's 50%_off \\ ünï😀 ﬁle",
    owner_user_id: "x' OR '1'='1",
    role: 'user',
    vector: Float32Array.from([1e-30, -3.4e38, 0.1]),
  });
  const s1 = await records.upsert([record('a'), hostile, record('a', { level: 1 })]);
  const first = await records.changesSince(0, 100);
  expect(first.kind).toBe('changes');
  if (first.kind !== 'changes') return;
  expect(first.last).toBe(s1);
  const byId = new Map(first.changes.map((c) => [c.kind === 'upsert' ? c.record.id : c.id, c]));
  // The text is stored in its searchable form (the ligature folded), all else as given.
  expect(byId.get('h')).toMatchObject({
    kind: 'upsert',
    record: { ...hostile, text: "it's 50%_off \\ ünï😀 file" },
  });
  expect(byId.get('a')).toMatchObject({ kind: 'upsert', record: { level: 1 } });
  expect(await records.count()).toBe(2);

  expect(await records.deleteWhere(and(eq('account_id', 'acme'), subtree('viking://resources/h.md')))).toBe(
    1,
  );
  const s3 = await records.upsert([record('b')]);
  const next = await records.changesSince(s1, 100);
  expect(next).toEqual({
    kind: 'changes',
    changes: [
      { seq: expect.any(Number), kind: 'delete', id: 'h' },
      { seq: s3, kind: 'upsert', record: record('b') },
    ],
    last: s3,
  });
  expect(await records.count()).toBe(2);
  // A tombstone comes back to life when its id is written again.
  const s4 = await records.upsert([hostile]);
  expect((await records.changesSince(s3, 100)).kind === 'changes').toBe(true);
  expect(await records.lastSeq()).toBe(s4);
  expect(await records.count()).toBe(3);
});

test('concurrent writers: a reader following the seq never misses a committed change', async () => {
  const seen = new Set<string>();
  let at = 0;
  let writing = true;
  const reader = (async () => {
    while (writing || at < (await records.lastSeq())) {
      const changes = await records.changesSince(at, 50);
      if (changes.kind !== 'changes') throw new Error('unexpected reset');
      for (const c of changes.changes) if (c.kind === 'upsert') seen.add(c.record.id);
      at = changes.last;
    }
  })();
  const writers = Array.from({ length: 6 }, async (_, w) => {
    for (let i = 0; i < 40; i++) await records.upsert([record(`w${w}-${i}`), record(`w${w}-${i}b`)]);
  });
  await Promise.all(writers);
  writing = false;
  await reader;
  expect(seen.size).toBe(6 * 40 * 2);
});

test('purged tombstones make a reader behind them reload; one past them goes on', async () => {
  await records.upsert([record('a'), record('b')]);
  const before = await records.lastSeq();
  await records.deleteWhere(eq('uri', 'viking://resources/a.md'));
  const after = await records.lastSeq();
  expect(await records.purgeTombstones(after)).toBe(1);
  expect(await records.changesSince(before, 10)).toEqual({ kind: 'reset', horizon: after });
  expect(await records.changesSince(after, 10)).toEqual({ kind: 'changes', changes: [], last: after });
});

describe('the catch-up reader', () => {
  function cache() {
    const ids = new Set<string>();
    const apply = (changes: readonly RecordChange[]) => {
      for (const c of changes) {
        if (c.kind === 'upsert') ids.add(c.record.id);
        else ids.delete(c.id);
      }
    };
    return { ids, apply };
  }

  test('LISTEN brings a change at once (polling off); waitFor resolves at the write’s seq', async () => {
    const { ids, apply } = cache();
    const reader = new CatchUp({
      records,
      from: 0,
      apply,
      reload: () => Promise.reject(new Error('no reload expected')),
      subscribe: listenOn(db.pool),
      pollMs: 60_000,
    });
    await reader.start();
    try {
      const started = Date.now();
      const seq = await records.upsert([record('x'), record('y')]);
      await reader.waitFor(seq);
      expect(Date.now() - started).toBeLessThan(1000);
      expect([...ids].sort()).toEqual(['x', 'y']);
      const gone = await records.deleteWhere(eq('uri', 'viking://resources/x.md'));
      expect(gone).toBe(1);
      await reader.waitFor(await records.lastSeq());
      expect([...ids]).toEqual(['y']);
    } finally {
      await reader.stop();
    }
  });

  test('without notifications, polling catches up; behind purged tombstones it reloads', async () => {
    const { ids, apply } = cache();
    await records.upsert([record('a'), record('b')]);
    await records.deleteWhere(eq('uri', 'viking://resources/a.md'));
    await records.purgeTombstones(await records.lastSeq());
    let reloads = 0;
    const reader = new CatchUp({
      records,
      from: 0,
      apply,
      reload: async () => {
        reloads += 1;
        ids.clear();
        ids.add('b');
        return records.lastSeq();
      },
      pollMs: 50,
    });
    await reader.start();
    try {
      expect(reloads).toBe(1);
      const seq = await records.upsert([record('c')]);
      await reader.waitFor(seq);
      expect([...ids].sort()).toEqual(['b', 'c']);
    } finally {
      await reader.stop();
    }
  });

  test('a LISTEN connection that dies is opened again; changes arrive by polling meanwhile', async () => {
    const { ids, apply } = cache();
    const reader = new CatchUp({
      records,
      from: await records.lastSeq(),
      apply,
      reload: () => Promise.reject(new Error('no reload expected')),
      subscribe: listenOn(db.pool, { retryMs: 100 }),
      pollMs: 100,
    });
    const listeners = async () =>
      (
        await sql.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'`,
        )
      ).rows.map((r) => r.pid);
    await reader.start();
    try {
      const [pid] = await listeners();
      expect(pid).toEqual(expect.any(Number));
      await sql.query('SELECT pg_terminate_backend($1)', [pid]);
      await reader.waitFor(await records.upsert([record('after-cut')]));
      expect(ids.has('after-cut')).toBe(true);
      const deadline = Date.now() + 3000;
      let again: number[] = [];
      while (Date.now() < deadline && (again = await listeners()).length === 0) await sleep(50);
      expect(again).toHaveLength(1);
      expect(again[0]).not.toBe(pid);
    } finally {
      await reader.stop();
    }
  });
});
