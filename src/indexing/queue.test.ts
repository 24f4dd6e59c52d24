import { appendFile, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { canonicalUri } from '../policy/index.js';
import { JobQueue, type Job } from './queue.js';
import { tempDir } from '../../test/helpers/temp-dir.js';

let dir: ReturnType<typeof tempDir>;
beforeEach(() => (dir = tempDir('vs-queue-')));
afterEach(() => dir.remove());

const job = (i: number): Job => ({
  type: 'file',
  account: 'acme',
  uri: canonicalUri(`viking://resources/f${i}`),
});

test('jobs are on disk when enqueue resolves and come back until acknowledged', async () => {
  const q = await JobQueue.open(dir.path);
  await Promise.all([1, 2, 3].map((i) => q.enqueue(job(i))));
  const text = await readFile(join(dir.path, 'index/queue.jsonl'), 'utf8');
  expect(text.trim().split('\n')).toHaveLength(3);
  expect(q.peek(10).map((e) => e.job)).toEqual([job(1), job(2), job(3)]);
  await q.ack(q.peek(1)[0]?.seq ?? 0);
  await q.close();

  const again = await JobQueue.open(dir.path);
  expect(again.peek(10).map((e) => e.job)).toEqual([job(2), job(3)]);
  await again.enqueue(job(4));
  expect(again.peek(10).map((e) => e.seq)).toEqual([2, 3, 4]);
  await again.close();
});

test('a torn last line (a crash mid-append) and garbage lines are skipped', async () => {
  const q = await JobQueue.open(dir.path);
  await q.enqueue(job(1));
  await q.close();
  await appendFile(join(dir.path, 'index/queue.jsonl'), '{"seq":2,"job":{"type":"fi');
  const again = await JobQueue.open(dir.path);
  expect(again.peek(10).map((e) => e.job)).toEqual([job(1)]);
  await again.close();
});

test('after a crash mid-append, the next job is not glued onto the torn line', async () => {
  const q = await JobQueue.open(dir.path);
  await q.enqueue(job(1));
  await q.close();
  await appendFile(join(dir.path, 'index/queue.jsonl'), '{"seq":2,"job":{"type":"fi');
  const again = await JobQueue.open(dir.path);
  await again.enqueue(job(3));
  await again.close();
  const third = await JobQueue.open(dir.path);
  expect(third.peek(10).map((e) => e.job)).toEqual([job(1), job(3)]);
  await third.close();
});

test('invalid jobs are refused', async () => {
  const q = await JobQueue.open(dir.path);
  await expect(q.enqueue({ type: 'nope' } as unknown as Job)).rejects.toThrow();
  expect(q.depth).toBe(0);
  await q.close();
});

test('a fully acknowledged large journal is truncated and sequence numbers keep growing', async () => {
  const q = await JobQueue.open(dir.path);
  const big = (i: number): Job => ({
    type: 'file',
    account: 'acme',
    uri: canonicalUri(`viking://resources/${`${'x'.repeat(200)}/`.repeat(10)}f${i}`),
  });
  await Promise.all(Array.from({ length: 200 }, (_, i) => q.enqueue(big(i))));
  const last = q.peek(1000).at(-1)?.seq ?? 0;
  expect(last).toBe(200);
  await q.ack(last);
  await q.enqueue(job(1));
  expect((await stat(join(dir.path, 'index/queue.jsonl'))).size).toBeLessThan(1000);
  await q.close();
  const again = await JobQueue.open(dir.path);
  expect(again.peek(10).map((e) => [e.seq, e.job])).toEqual([[201, job(1)]]);
  await again.close();
});

test('a corrupt ack file means everything in the journal is replayed', async () => {
  const q = await JobQueue.open(dir.path);
  await q.enqueue(job(1));
  await q.ack(1);
  await q.close();
  await writeFile(join(dir.path, 'index/queue.ack'), 'garbage');
  const again = await JobQueue.open(dir.path);
  expect(again.depth).toBe(1);
  await again.close();
});

test('a job URI is checked to be canonical when enqueued and when read back from the journal', async () => {
  const q = await JobQueue.open(dir.path);
  // @ts-expect-error a plain string is not a CanonicalUri: it must come from resolveUri or canonicalUri
  await expect(q.enqueue({ type: 'file', account: 'acme', uri: 'viking://resources/f1' })).resolves.toBe(1);
  // A value the type checker cannot see through (Object.assign types it as a Job) is still refused.
  const forged = Object.assign(job(2), { uri: 'viking://user/memories/x' });
  await expect(q.enqueue(forged)).rejects.toThrow(/canonical/);
  await q.close();
  const line = (seq: number, uri: string) =>
    `${JSON.stringify({ seq, job: { type: 'remove', account: 'acme', uri } })}\n`;
  const journal = join(dir.path, 'index/queue.jsonl');
  await appendFile(
    journal,
    line(2, 'viking://resources/a/') + line(3, 'resources/a') + line(4, 'viking://resources/a'),
  );
  const again = await JobQueue.open(dir.path);
  expect(again.peek(10).map((e) => [e.seq, e.job])).toEqual([
    [1, job(1)],
    [4, { type: 'remove', account: 'acme', uri: 'viking://resources/a' }],
  ]);
  await again.close();
});
