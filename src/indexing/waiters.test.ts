import { JobWaiters } from './waiters.js';

/** The settled state of a promise once pending callbacks ran: 'ok', an error code, or 'pending'. */
async function outcome(promise: Promise<void>): Promise<string> {
  const result = promise.then(
    () => 'ok',
    (error: { code?: string }) => error.code ?? 'error',
  );
  return Promise.race([result, new Promise<string>((resolve) => setImmediate(() => resolve('pending')))]);
}

const LONG = 60_000;

/** Waiters over a journal whose unfinished jobs are `open` (shared with the test). */
function waitersOver(open: Set<number>, afterApplied?: () => Promise<void>) {
  return new JobWaiters({
    unfinished: (seqs) => Promise.resolve(new Set(seqs.filter((s) => open.has(s)))),
    afterApplied,
  });
}

test('a wait resolves once every one of its jobs is finished, not before', async () => {
  const w = waitersOver(new Set([3, 4, 5]));
  const waiting = w.wait([3, 5], LONG);
  w.finished([3, 4]);
  expect(await outcome(waiting)).toBe('pending');
  w.finished([5]);
  expect(await outcome(waiting)).toBe('ok');
});

test('jobs finished before the wait, and no jobs at all, resolve at once', async () => {
  const w = waitersOver(new Set([11]));
  expect(await outcome(w.wait([7, 9], LONG))).toBe('ok');
  expect(await outcome(w.wait([], LONG))).toBe('ok');
  expect(await outcome(w.wait([9, 11], LONG))).toBe('pending');
});

test('jobs applied elsewhere are learnt by asking the journal again', async () => {
  const open = new Set([1, 2]);
  const w = waitersOver(open);
  const waiting = w.wait([1, 2], LONG);
  expect(w.openSeqs().sort()).toEqual([1, 2]);
  open.delete(1);
  await w.check();
  expect(await outcome(waiting)).toBe('pending');
  open.delete(2);
  await w.check();
  expect(await outcome(waiting)).toBe('ok');
  expect(w.openSeqs()).toEqual([]);
});

test('afterApplied runs before the wait resolves, and within its timeout', async () => {
  let caughtUp: () => void = () => undefined;
  const w = waitersOver(new Set([1]), () => new Promise<void>((resolve) => (caughtUp = resolve)));
  const waiting = w.wait([1], LONG);
  w.finished([1]);
  expect(await outcome(waiting)).toBe('pending');
  caughtUp();
  expect(await outcome(waiting)).toBe('ok');
  const late = w.wait([2], 20);
  w.finished([2]);
  await expect(late).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
});

test('a dropped job fails its wait with INTERNAL naming the URI, before or after the wait starts', async () => {
  const open = new Set([1, 2]);
  const w = waitersOver(open);
  const early = w.wait([1, 2], LONG);
  w.drop(2, { account: 'acme', uri: 'viking://resources/bad.md' });
  open.clear();
  w.finished([1, 2]);
  await expect(early).rejects.toMatchObject({
    code: 'INTERNAL',
    details: { uri: 'viking://resources/bad.md', indexed: false },
  });
  await expect(w.wait([2], LONG)).rejects.toMatchObject({ code: 'INTERNAL' });
  expect(await outcome(w.wait([1], LONG))).toBe('ok');
});

test('a wait past its timeout fails with DEADLINE_EXCEEDED', async () => {
  const w = waitersOver(new Set([1]));
  await expect(w.wait([1], 1)).rejects.toMatchObject({
    code: 'DEADLINE_EXCEEDED',
    details: { timeout_s: 0.001 },
  });
});

test('abort fails the open waits with UNAVAILABLE and leaves finished ones alone', async () => {
  const w = waitersOver(new Set([2]));
  const done = w.wait([1], LONG);
  const open = w.wait([2], LONG);
  await w.check();
  w.abort();
  expect(await outcome(done)).toBe('ok');
  await expect(open).rejects.toMatchObject({ code: 'UNAVAILABLE' });
});

test('a job dropped by another worker fails the wait with INTERNAL naming its URI, as the journal says', async () => {
  const open = new Set([1, 2]);
  const w = new JobWaiters({
    unfinished: (seqs) => Promise.resolve(new Set(seqs.filter((s) => open.has(s)))),
    failures: (seqs) =>
      Promise.resolve(
        new Map(seqs.filter((s) => s === 2).map((s) => [s, { account: 'a', uri: 'viking://x' }])),
      ),
  });
  const good = w.wait([1], LONG);
  const bad = w.wait([2], LONG);
  open.clear();
  await w.check();
  expect(await outcome(good)).toBe('ok');
  await expect(bad).rejects.toMatchObject({ code: 'INTERNAL', details: { uri: 'viking://x' } });
});
