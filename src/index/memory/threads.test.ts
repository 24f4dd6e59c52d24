import wabtInit from 'wabt';
import { ScanThreads, SPLIT_FROM } from './threads.js';

/** A kernel module whose workers never finish a chunk: each export marks byte 0, then spins forever. */
async function stuckModule(): Promise<WebAssembly.Module> {
  const spin = (name: string): string =>
    `(func (export "${name}") (param i32 i32 i32 i32 i32) (i32.store8 (i32.const 0) (i32.const 1)) (loop $forever (br $forever)))`;
  const wat = `(module (import "env" "memory" (memory 1 65536 shared)) ${spin('dots')} ${spin('dots8')})`;
  const parsed = (await wabtInit()).parseWat('stuck.wat', wat, { threads: true });
  try {
    return await WebAssembly.compile(parsed.toBinary({}).buffer);
  } finally {
    parsed.destroy();
  }
}

test('chunks a worker claimed but did not finish in time make the caller score the whole scan alone', async () => {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 16, shared: true });
  const marked = new Uint8Array(memory.buffer);
  const warnings: unknown[] = [];
  const log = { warn: (o: unknown): void => void warnings.push(o) };
  const threads = new ScanThreads(await stuckModule(), memory, { count: 1, timeoutMs: 100, log });
  await threads.start();
  expect(threads.active).toBe(1);
  const scored: Array<[number, number]> = [];
  const kernel = (addrs: number, n: number): void => {
    // Keep the first chunk busy until the worker has claimed one (it marks byte 0, then spins).
    const until = performance.now() + 5000;
    while (scored.length === 0 && Atomics.load(marked, 0) === 0 && performance.now() < until);
    scored.push([addrs, n]);
  };
  const n = SPLIT_FROM * 2;
  expect(threads.run('dots8', kernel, 1000, n, 0, 16, 0)).toBe(false);
  expect(Atomics.load(marked, 0)).toBe(1);
  // The caller scored the chunks the worker did not claim, then, after the timeout, everything.
  expect(scored.at(-1)).toEqual([1000, n]);
  expect(scored.slice(0, -1).reduce((rows, [, count]) => rows + count, 0)).toBeLessThan(n);
  expect(warnings).toHaveLength(1);
  // Until replacements start (after a delay), scans run on the calling thread.
  expect(threads.active).toBe(0);
  scored.length = 0;
  expect(threads.run('dots8', kernel, 1000, n, 0, 16, 0)).toBe(true);
  expect(scored).toEqual([[1000, n]]);
  await threads.close();
});

test('small scans never start a worker', async () => {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 16, shared: true });
  const threads = new ScanThreads(await stuckModule(), memory, { count: 2 });
  const scored: number[] = [];
  expect(
    threads.run('dots', (_a: number, n: number) => void scored.push(n), 0, SPLIT_FROM - 1, 0, 32, 0),
  ).toBe(true);
  expect(scored).toEqual([SPLIT_FROM - 1]);
  expect(threads.active).toBe(0);
  await threads.close();
});

/** A kernel module whose first call (in any thread) traps, and whose later calls mark byte 1. */
async function failingOnceModule(): Promise<WebAssembly.Module> {
  const wat = `(module (import "env" "memory" (memory 1 65536 shared))
    (func $k (param i32 i32 i32 i32 i32)
      (if (i32.eqz (i32.atomic.rmw8.xchg_u (i32.const 0) (i32.const 1))) (then unreachable))
      (i32.atomic.store8 (i32.const 1) (i32.const 1)))
    (export "dots" (func $k)) (export "dots8" (func $k)))`;
  const parsed = (await wabtInit()).parseWat('failing.wat', wat, { threads: true });
  try {
    return await WebAssembly.compile(parsed.toBinary({}).buffer);
  } finally {
    parsed.destroy();
  }
}

test('a worker whose kernel fails: the scan is scored again at once, and a replacement shares later scans', async () => {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 16, shared: true });
  const marks = new Uint8Array(memory.buffer);
  const warnings: unknown[] = [];
  const log = { warn: (o: unknown): void => void warnings.push(o) };
  // A timeout far beyond the test's: waiting for the failed worker's chunk would fail the test.
  const threads = new ScanThreads(await failingOnceModule(), memory, { count: 1, timeoutMs: 120_000, log });
  await threads.start();
  expect(threads.active).toBe(1);
  const scored: Array<[number, number]> = [];
  // The caller's first chunk waits until the worker has run its kernel (marked byte `mark`).
  const waitingFor =
    (mark: number) =>
    (addrs: number, n: number): void => {
      const until = performance.now() + 5000;
      while (scored.length === 0 && Atomics.load(marks, mark) === 0 && performance.now() < until);
      scored.push([addrs, n]);
    };
  const n = SPLIT_FROM * 2;
  // The worker traps on its chunk: the caller notices when the worker leaves the job, not at a timeout.
  const first = threads.run('dots8', waitingFor(0), 1000, n, 0, 16, 0);
  expect(first).toBe(true);
  expect(Atomics.load(marks, 0)).toBe(1);
  expect(scored.at(-1)).toEqual([1000, n]);
  // A replacement starts (after a short delay) and shares the next scans.
  const until = Date.now() + 10_000;
  // (The failed worker counts as active until its exit is seen, on a later turn of the event loop.)
  while ((warnings.length === 0 || threads.active === 0) && Date.now() < until)
    await new Promise((r) => setTimeout(r, 20));
  expect(threads.active).toBe(1);
  scored.length = 0;
  expect(threads.run('dots8', waitingFor(1), 1000, n, 0, 16, 0)).toBe(true);
  expect(Atomics.load(marks, 1)).toBe(1);
  // The worker scored some chunks: the caller did not score the whole scan.
  expect(scored.reduce((rows, [, count]) => rows + count, 0)).toBeLessThan(n);
  expect(warnings).toHaveLength(1);
  await threads.close();
});
