import { PoolFailure, WorkerPool, type WorkerPoolOptions } from './worker-pool.js';

/** A worker that answers `{ spin: ms }` after blocking that long, `{ grow: true }` by filling its heap. */
const SOURCE = `
const { parentPort, threadId } = require('node:worker_threads');
parentPort.on('message', ({ id, task }) => {
  if (task.grow) { const keep = []; for (;;) keep.push(new Array(1e5).fill({ threadId })); }
  if (task.fail) { parentPort.postMessage({ id, ok: false, error: { refused: task.fail } }); return; }
  const until = Date.now() + (task.spin || 0);
  while (Date.now() < until);
  parentPort.postMessage({ id, ok: true, value: { threadId, echo: task.echo } });
});
`;

const pools: WorkerPool[] = [];
function pool(options: Partial<WorkerPoolOptions> = {}): WorkerPool {
  const p = new WorkerPool({ source: SOURCE, size: 1, maxQueue: 4, memoryMb: 32, ...options });
  pools.push(p);
  return p;
}
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

const threadOf = (reply: unknown) => (reply as { value: { threadId: number } }).value.threadId;

test('runs tasks in a worker and answers their values and refusals', async () => {
  const p = pool();
  await expect(p.run({ echo: 'hi' }, { timeoutMs: 5000 })).resolves.toMatchObject({
    ok: true,
    value: { echo: 'hi' },
  });
  await expect(p.run({ fail: 'depth' }, { timeoutMs: 5000 })).resolves.toEqual({
    ok: false,
    error: { refused: 'depth' },
  });
});

test('a task past its deadline has its worker terminated; the next task gets a fresh worker', async () => {
  const p = pool();
  const first = threadOf(await p.run({}, { timeoutMs: 5000 }));
  const started = Date.now();
  const stuck = p.run({ spin: 60_000 }, { timeoutMs: 200 });
  await expect(stuck).rejects.toEqual(expect.objectContaining({ kind: 'deadline' }));
  await expect(stuck).rejects.toBeInstanceOf(PoolFailure);
  expect(Date.now() - started).toBeLessThan(5000);
  const next = threadOf(await p.run({}, { timeoutMs: 5000 }));
  expect(next).not.toBe(first);
  expect(p.restarts).toBe(1);
});

test('a task that outgrows the heap limit fails as `memory` and kills only its worker', async () => {
  const p = pool({ memoryMb: 16 });
  await expect(p.run({ grow: true }, { timeoutMs: 30_000 })).rejects.toMatchObject({ kind: 'memory' });
  await expect(p.run({ echo: 'after' }, { timeoutMs: 5000 })).resolves.toMatchObject({
    value: { echo: 'after' },
  });
});

test('concurrency is bounded by the size; past the queue a task is refused as `busy`', async () => {
  const p = pool({ size: 2, maxQueue: 1 });
  const running = [p.run({ spin: 300 }, { timeoutMs: 5000 }), p.run({ spin: 300 }, { timeoutMs: 5000 })];
  const waiting = p.run({ echo: 'queued' }, { timeoutMs: 5000 });
  expect(p.load).toMatchObject({ running: 2, queued: 1 });
  await expect(p.run({}, { timeoutMs: 5000 })).rejects.toMatchObject({ kind: 'busy' });
  const threads = new Set((await Promise.all(running)).map(threadOf));
  expect(threads.size).toBe(2);
  await expect(waiting).resolves.toMatchObject({ value: { echo: 'queued' } });
});

test('a blocked worker does not block the event loop', async () => {
  const p = pool();
  const busy = p.run({ spin: 500 }, { timeoutMs: 5000 });
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, 10));
  expect(performance.now() - started).toBeLessThan(250);
  await busy;
});

test('a task that waits for a worker longer than maxWaitMs is refused as `busy`', async () => {
  const p = pool({ size: 1, maxQueue: 4, maxWaitMs: 100 });
  const running = p.run({ spin: 600 }, { timeoutMs: 5000 });
  await expect(p.run({ echo: 'late' }, { timeoutMs: 5000 })).rejects.toMatchObject({ kind: 'busy' });
  expect(p.load).toMatchObject({ running: 1, queued: 0 });
  await expect(running).resolves.toMatchObject({ ok: true });
});

test("one key's many waiting tasks do not delay another key's: it runs next", async () => {
  const p = pool({ size: 1, maxQueue: 16 });
  const finished: string[] = [];
  const run = (key: string, echo: string) =>
    p.run({ spin: 50, echo }, { timeoutMs: 5000, key }).then(() => finished.push(echo));
  const tasks = ['a1', 'a2', 'a3', 'a4', 'a5'].map((echo) => run('acme', echo));
  tasks.push(run('other', 'b1'));
  await Promise.all(tasks);
  expect(finished).toEqual(['a1', 'b1', 'a2', 'a3', 'a4', 'a5']);
});

test('past maxQueuePerKey a key is refused as `key_busy` while other keys still queue', async () => {
  const p = pool({ size: 1, maxQueue: 8, maxQueuePerKey: 2 });
  const running = p.run({ spin: 200 }, { timeoutMs: 5000, key: 'acme' });
  const waiting = [1, 2].map(() => p.run({}, { timeoutMs: 5000, key: 'acme' }));
  await expect(p.run({}, { timeoutMs: 5000, key: 'acme' })).rejects.toMatchObject({ kind: 'key_busy' });
  const other = p.run({ echo: 'other' }, { timeoutMs: 5000, key: 'other' });
  expect(p.load).toMatchObject({ running: 1, queued: 3 });
  await expect(other).resolves.toMatchObject({ value: { echo: 'other' } });
  await Promise.all([running, ...waiting]);
});

test('a worker idle for idleMs is ended (its heap with it) and the next task starts a fresh one', async () => {
  const p = pool({ idleMs: 50 });
  const first = threadOf(await p.run({ echo: 1 }, { timeoutMs: 5000 }));
  // A task arriving within idleMs keeps the worker.
  expect(threadOf(await p.run({ echo: 2 }, { timeoutMs: 5000 }))).toBe(first);
  expect(p.load.workers).toBe(1);
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(p.load).toEqual({ running: 0, queued: 0, workers: 0 });
  expect(p.restarts).toBe(0);
  expect(threadOf(await p.run({ echo: 3 }, { timeoutMs: 5000 }))).not.toBe(first);
});

test('without idleMs an idle worker is kept', async () => {
  const p = pool();
  const first = threadOf(await p.run({ echo: 1 }, { timeoutMs: 5000 }));
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(p.load.workers).toBe(1);
  expect(threadOf(await p.run({ echo: 2 }, { timeoutMs: 5000 }))).toBe(first);
});
