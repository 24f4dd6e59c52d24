import { FairQueue } from './fair-queue.js';

/** Takes every item, finishing each before the next (one worker). */
function serveOneAtATime(q: FairQueue<string>): string[] {
  const order: string[] = [];
  for (let next = q.take(); next !== undefined; next = q.take()) {
    order.push(next.item);
    q.finish(next.key);
  }
  return order;
}

test('items of one key come out in arrival order', () => {
  const q = new FairQueue<string>();
  for (const item of ['a1', 'a2', 'a3']) q.push('a', item);
  expect(serveOneAtATime(q)).toEqual(['a1', 'a2', 'a3']);
  expect(q.size).toBe(0);
});

test('keys take turns: a key that queued many items does not delay another by all of them', () => {
  const q = new FairQueue<string>();
  for (let i = 1; i <= 5; i++) q.push('a', `a${i}`);
  q.push('b', 'b1');
  q.push('c', 'c1');
  q.push('b', 'b2');
  expect(serveOneAtATime(q)).toEqual(['a1', 'b1', 'c1', 'a2', 'b2', 'a3', 'a4', 'a5']);
});

test('a key with a job running waits behind a key with none, even if it arrived first', () => {
  const q = new FairQueue<string>();
  q.push('a', 'a1');
  const running = q.take();
  expect(running).toEqual({ key: 'a', item: 'a1' });
  q.push('a', 'a2');
  q.push('b', 'b1');
  expect(q.take()).toEqual({ key: 'b', item: 'b1' });
  expect(q.take()).toEqual({ key: 'a', item: 'a2' });
});

test('the key served last goes behind the others, also after its queue emptied and refilled', () => {
  const q = new FairQueue<string>();
  q.push('a', 'a1');
  q.push('b', 'b1');
  const first = q.take();
  expect(first?.item).toBe('a1');
  q.finish('a');
  q.push('a', 'a2');
  const second = q.take();
  expect(second?.item).toBe('b1');
  q.finish('b');
  expect(q.take()?.item).toBe('a2');
});

test('sizes per key and in all; remove and drain', () => {
  const q = new FairQueue<string>();
  q.push('a', 'a1');
  q.push('a', 'a2');
  q.push('b', 'b1');
  expect([q.size, q.sizeOf('a'), q.sizeOf('b'), q.sizeOf('z')]).toEqual([3, 2, 1, 0]);
  expect(q.remove('a', 'a1')).toBe(true);
  expect(q.remove('a', 'a1')).toBe(false);
  expect([q.size, q.sizeOf('a')]).toEqual([2, 1]);
  expect(q.drain().sort()).toEqual(['a2', 'b1']);
  expect(q.size).toBe(0);
  expect(q.take()).toBeUndefined();
});
