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

test('a wait resolves once every one of its jobs is finished, not before', async () => {
  const w = new JobWaiters();
  const waiting = w.wait([3, 5], LONG);
  w.finished(4);
  expect(await outcome(waiting)).toBe('pending');
  w.finished(5);
  expect(await outcome(waiting)).toBe('ok');
});

test('jobs finished before the wait, and no jobs at all, resolve at once', async () => {
  const w = new JobWaiters();
  w.finished(10);
  expect(await outcome(w.wait([7, 9], LONG))).toBe('ok');
  expect(await outcome(w.wait([], LONG))).toBe('ok');
});

test('a dropped job fails its wait with INTERNAL naming the URI, before or after the wait starts', async () => {
  const w = new JobWaiters();
  const early = w.wait([1, 2], LONG);
  w.drop(2, { account: 'acme', uri: 'viking://resources/bad.md' });
  w.finished(2);
  await expect(early).rejects.toMatchObject({
    code: 'INTERNAL',
    details: { uri: 'viking://resources/bad.md', indexed: false },
  });
  await expect(w.wait([2], LONG)).rejects.toMatchObject({ code: 'INTERNAL' });
  expect(await outcome(w.wait([1], LONG))).toBe('ok');
});

test('a wait past its timeout fails with DEADLINE_EXCEEDED', async () => {
  const w = new JobWaiters();
  await expect(w.wait([1], 1)).rejects.toMatchObject({
    code: 'DEADLINE_EXCEEDED',
    details: { timeout_s: 0.001 },
  });
});

test('abort fails the open waits with UNAVAILABLE and leaves finished ones alone', async () => {
  const w = new JobWaiters();
  w.finished(1);
  const done = w.wait([1], LONG);
  const open = w.wait([2], LONG);
  w.abort();
  expect(await outcome(done)).toBe('ok');
  await expect(open).rejects.toMatchObject({ code: 'UNAVAILABLE' });
});
