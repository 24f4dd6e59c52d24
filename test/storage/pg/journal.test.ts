/**
 * The index journal on a real PostgreSQL: jobs handed out once, one account's jobs in order and to
 * one worker at a time, a killed worker's jobs taken over once its lease lapses, a live worker's
 * lease renewed; failures recorded for every process and bounded; the pending rebuilds listed.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Job, QueueEntry } from '../../../src/indexing/queue.js';
import { canonicalUri } from '../../../src/policy/index.js';
import { PgJournal } from '../../../src/storage/pg/journal.js';
import { poolDatabase, type SqlDatabase } from '../../../src/storage/pg/sql.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/pg.js';

let db: TestDatabase;
let sql: SqlDatabase;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const file = (account: string, uri: string): Job => ({ type: 'file', account, uri: canonicalUri(uri) });

beforeAll(async () => {
  db = await createTestDatabase();
  sql = poolDatabase(db.pool);
});
afterAll(() => db.drop());
beforeEach(() => sql.query('TRUNCATE index_jobs, index_failures'));

async function remaining(): Promise<number> {
  return (await sql.query<{ n: number }>('SELECT count(*)::int AS n FROM index_jobs')).rows[0]?.n ?? -1;
}

test('appended jobs are durable, handed out oldest first, and gone once acknowledged', async () => {
  const w = new PgJournal(sql);
  const seqs = [];
  for (const uri of ['viking://resources/a', 'viking://resources/b'])
    seqs.push(await w.append(file('acme', uri)));
  expect(seqs[1]).toBeGreaterThan(seqs[0] as number);
  expect(await w.backlog('acme')).toMatchObject({ depth: 2, oldestAt: expect.any(Number) });
  expect(await w.backlog('globex')).toEqual({ depth: 0, oldestAt: null });
  const batch = await w.take(10);
  expect(batch).toEqual([
    { seq: seqs[0], job: file('acme', 'viking://resources/a') },
    { seq: seqs[1], job: file('acme', 'viking://resources/b') },
  ]);
  expect(await w.take(10)).toEqual([]);
  expect([...(await w.unfinished(seqs))]).toEqual(seqs);
  await w.ack(batch);
  expect(await remaining()).toBe(0);
  expect((await w.unfinished(seqs)).size).toBe(0);
  await expect(w.append({ type: 'file', account: 'acme' } as unknown as Job)).rejects.toThrow();
});

test("two jobs for one URI: the second waits until the first is acknowledged, other accounts don't", async () => {
  const a = new PgJournal(sql, { workerId: 'a' });
  const b = new PgJournal(sql, { workerId: 'b' });
  const first = await a.append(file('acme', 'viking://resources/x'));
  const second = await a.append(file('acme', 'viking://resources/x'));
  const other = await a.append(file('globex', 'viking://resources/x'));
  const taken = await a.take(1);
  expect(taken.map((e) => e.seq)).toEqual([first]);
  // b may not apply the second job while a applies the first: it gets the other account's only.
  const bTaken = await b.take(10);
  expect(bTaken.map((e) => e.seq)).toEqual([other]);
  // a itself may take the next job of an account it holds.
  expect((await a.take(10)).map((e) => e.seq)).toEqual([second]);
  await a.release();
  expect((await b.take(10)).map((e) => e.seq)).toEqual([first, second]);
});

test('concurrent workers never take the same job, nor two workers one account at once; order kept', async () => {
  const writer = new PgJournal(sql);
  const total = 240;
  for (let i = 0; i < total; i++) await writer.append(file(`a${i % 8}`, `viking://resources/f${i % 5}`));
  const seen = new Map<number, string>();
  const holder = new Map<string, string>();
  const appliedOrder = new Map<string, number[]>();
  const violations: string[] = [];
  const apply = (w: PgJournal, batch: readonly QueueEntry[]) => {
    for (const { seq, job } of batch) {
      if (seen.has(seq)) violations.push(`job ${seq} taken by ${seen.get(seq)} and ${w.workerId}`);
      seen.set(seq, w.workerId);
      const h = holder.get(job.account);
      if (h !== undefined && h !== w.workerId)
        violations.push(`${job.account} held by ${h} and ${w.workerId}`);
      holder.set(job.account, w.workerId);
      appliedOrder.set(job.account, [...(appliedOrder.get(job.account) ?? []), seq]);
    }
  };
  const run = async (w: PgJournal) => {
    for (let idle = 0; idle < 5;) {
      const batch = await w.take(7);
      if (batch.length === 0) {
        idle++;
        await sleep(20);
        continue;
      }
      idle = 0;
      apply(w, batch);
      await sleep(Math.random() * 5);
      // Released before the acknowledgement: until it commits nobody else may take these accounts.
      for (const e of batch) holder.delete(e.job.account);
      await w.ack(batch);
    }
  };
  const workers = ['w1', 'w2', 'w3'].map((id) => new PgJournal(sql, { workerId: id }));
  await Promise.all(workers.map(run));
  expect(violations).toEqual([]);
  expect(seen.size).toBe(total);
  expect(new Set(seen.values()).size).toBeGreaterThan(1);
  for (const seqs of appliedOrder.values()) expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
  expect(await remaining()).toBe(0);
});

test("a killed worker's jobs are finished by another once its lease lapses; a live worker's lease holds", async () => {
  const writer = new PgJournal(sql);
  const all: number[] = [];
  for (let i = 0; i < 6; i++)
    all.push(await writer.append(file(i < 3 ? 'acme' : 'globex', `viking://resources/r/${i}`)));
  const child = spawn(
    process.execPath,
    ['--import', './test/helpers/ts-register.mjs', 'test/storage/pg/journal-child.ts', db.url, '4', '1500'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
  const doomed = JSON.parse(line) as number[];
  expect(doomed).toEqual(all.slice(0, 4));
  const survivor = new PgJournal(sql, { workerId: 'survivor' });
  // The child is alive and renews its lease (every 500 ms) past its 1.5 s; the jobs it did not take
  // are of its accounts.
  await sleep(2000);
  const early = await survivor.take(10);
  expect(early.map((e) => e.seq)).toEqual([]);
  child.kill('SIGKILL');
  await once(child, 'exit');
  const deadline = Date.now() + 10_000;
  const done: number[] = [];
  while (done.length < 6 && Date.now() < deadline) {
    const batch = await survivor.take(10);
    await survivor.ack(batch);
    done.push(...batch.map((e) => e.seq));
    if (batch.length === 0) await sleep(100);
  }
  expect(done).toEqual(all);
  expect(await remaining()).toBe(0);
}, 30_000);

test('pending lists the jobs not applied; watch hears appends, acknowledgements and releases', async () => {
  const w = new PgJournal(sql, { workerId: 'w', pool: db.pool });
  let heard = 0;
  const unwatch = await w.watch(() => (heard += 1));
  // The (re)connection itself is reported: whatever was missed is re-read.
  while (heard === 0) await sleep(10);
  /** Runs `action` and expects a notification after it began (counted before, so none is missed). */
  const expectHeard = async <T>(action: () => Promise<T>): Promise<T> => {
    const before = heard;
    const result = await action();
    const deadline = Date.now() + 5000;
    while (heard === before && Date.now() < deadline) await sleep(10);
    expect(heard).toBeGreaterThan(before);
    return result;
  };
  const a = await expectHeard(() => w.append(file('acme', 'viking://resources/a')));
  const b = await expectHeard(() => w.append(file('globex', 'viking://resources/b')));
  expect((await w.pending()).map((e) => e.seq)).toEqual([a, b]);
  expect(await w.pending('globex')).toEqual([{ seq: b, job: file('globex', 'viking://resources/b') }]);
  const taken = await w.take(1);
  await expectHeard(() => w.ack(taken));
  await w.take(1);
  await expectHeard(() => w.release());
  expect((await w.pending()).map((e) => e.seq)).toEqual([b]);
  await unwatch();
});

test('a job given up is finished, its failure seen by another journal, never blocking its account', async () => {
  const a = new PgJournal(sql, { workerId: 'a' });
  const b = new PgJournal(sql, { workerId: 'b' });
  const bad = await a.append(file('acme', 'viking://resources/bad'));
  const good = await a.append(file('acme', 'viking://resources/good'));
  const batch = await a.take(1);
  const failure = { account: 'acme', uri: 'viking://resources/bad', error: 'embedder said no' };
  // Only jobs this worker holds are recorded: b's acknowledgement of a's job changes nothing.
  await b.ack(batch, new Map([[bad, failure]]));
  expect(await b.failures([bad])).toEqual(new Map());
  await a.ack(batch, new Map([[bad, failure]]));
  expect(await b.unfinished([bad, good])).toEqual(new Set([good]));
  expect(await b.failures([bad, good])).toEqual(new Map([[bad, failure]]));
  expect(await b.failedCount()).toBe(1);
  // The account's later job is handed out and not counted as failed.
  expect((await b.take(10)).map((e) => e.seq)).toEqual([good]);
  expect(await b.backlog('acme')).toMatchObject({ depth: 1 });
});

test('failures are kept for a bounded time and number', async () => {
  const few = new PgJournal(sql, { workerId: 'few', failuresKept: 2 });
  const fail = async (w: PgJournal, uri: string) => {
    const seq = await w.append(file('acme', uri));
    await w.ack(await w.take(1), new Map([[seq, { account: 'acme', uri, error: 'no' }]]));
    return seq;
  };
  const seqs = [];
  for (const name of ['a', 'b', 'c', 'd']) seqs.push(await fail(few, `viking://resources/${name}`));
  expect([...(await few.failures(seqs)).keys()]).toEqual(seqs.slice(2));
  expect(await few.failedCount()).toBe(2);
  const brief = new PgJournal(sql, { workerId: 'brief', failuresKeptMs: 1 });
  await sleep(20);
  expect(await brief.failedCount()).toBe(0);
  const last = await fail(brief, 'viking://resources/e');
  await sleep(20);
  await fail(brief, 'viking://resources/f');
  expect((await brief.failures([...seqs, last])).size).toBe(0);
});

test('rebuilds lists the pending rebuild jobs of every appender', async () => {
  const a = new PgJournal(sql);
  await a.append(file('acme', 'viking://resources/a'));
  const one = await a.append({ type: 'account', account: 'acme', rebuild: true });
  const two = await new PgJournal(sql).append({ type: 'account', account: 'globex', rebuild: true });
  await a.append({ type: 'account', account: 'initech' });
  expect(await a.rebuilds()).toEqual([
    { seq: one, job: { type: 'account', account: 'acme', rebuild: true } },
    { seq: two, job: { type: 'account', account: 'globex', rebuild: true } },
  ]);
});
