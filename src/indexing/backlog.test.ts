import { BacklogCache } from './backlog.js';
import type { Backlog } from './journal.js';

test('a refresh asked while a read runs answers from a read started after it; reads do not pile up', async () => {
  let depth = 0;
  let reads = 0;
  const pending: Array<() => void> = [];
  const cache = new BacklogCache(() => {
    reads += 1;
    const at = depth;
    return new Promise<Backlog>((resolve) => pending.push(() => resolve({ depth: at, oldestAt: null })));
  });
  const first = cache.refresh();
  depth = 5;
  const second = cache.refresh();
  const third = cache.refresh();
  expect(reads).toBe(1);
  pending.shift()?.();
  expect(await first).toMatchObject({ depth: 0 });
  await new Promise((resolve) => setImmediate(resolve));
  expect(reads).toBe(2);
  pending.shift()?.();
  expect(await second).toMatchObject({ depth: 5 });
  expect(await third).toMatchObject({ depth: 5 });
  expect(cache.value).toMatchObject({ depth: 5 });
});

test("this process's appends count at once; no journal reads as empty", async () => {
  const cache = new BacklogCache(() => undefined);
  expect(await cache.refresh()).toEqual({ depth: 0, oldestAt: null });
  cache.appended(1000);
  cache.appended(2000);
  expect(cache.value).toEqual({ depth: 2, oldestAt: 1000 });
});
