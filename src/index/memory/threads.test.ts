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
  // Later scans no longer involve the workers.
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
