import { logger } from '../log.js';
import { canonicalUri } from '../policy/index.js';
import type { QueueEntry } from './queue.js';
import { rebuildJob, RebuildTracker } from './rebuild.js';

const rebuild = (seq: number, account: string): QueueEntry => ({ seq, job: rebuildJob(account) });
const file: QueueEntry = {
  seq: 9,
  job: { type: 'file', account: 'c', uri: canonicalUri('viking://resources/f') },
};

test("refresh learns other processes' rebuilds and forgets those applied elsewhere", async () => {
  const t = new RebuildTracker(logger);
  t.add([rebuild(1, 'a')]);
  await t.refresh(() => Promise.resolve([rebuild(2, 'b'), file]));
  expect([t.rebuilding('a'), t.rebuilding('b'), t.rebuilding('c')]).toEqual([false, true, false]);
  expect(t.status()).toEqual({ accounts_done: 1, accounts_left: 1 });
  await t.refresh(() => Promise.resolve([]));
  expect(t.status()).toBeNull();
});

test('what this process appends or applies during a read wins over the read', async () => {
  const t = new RebuildTracker(logger);
  t.add([rebuild(1, 'a')]);
  let answer!: (entries: QueueEntry[]) => void;
  const reading = t.refresh(() => new Promise((resolve) => (answer = resolve)));
  t.add([rebuild(3, 'c')]);
  t.finished([1]);
  // Read before both: it still lists 1 and does not yet list 3.
  answer([rebuild(1, 'a')]);
  await reading;
  expect([t.rebuilding('a'), t.rebuilding('c')]).toEqual([false, true]);
});

test('refreshes asked while one reads are folded into one more read', async () => {
  const t = new RebuildTracker(logger);
  let reads = 0;
  let answer!: (entries: QueueEntry[]) => void;
  const read = () => {
    reads += 1;
    return new Promise<QueueEntry[]>((resolve) => (answer = resolve));
  };
  const first = t.refresh(read);
  void t.refresh(read);
  void t.refresh(read);
  answer([]);
  await first;
  await new Promise((resolve) => setImmediate(resolve));
  answer([rebuild(4, 'd')]);
  await new Promise((resolve) => setImmediate(resolve));
  expect(reads).toBe(2);
  expect(t.rebuilding('d')).toBe(true);
});
