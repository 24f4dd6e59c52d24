import wabtInit from 'wabt';
import { ScanThreads, SPLIT_FROM } from './threads.js';

/** A kernel module whose workers never finish a job (each export spins forever). */
async function stuckModule(): Promise<WebAssembly.Module> {
  const spin = (name: string): string =>
    `(func (export "${name}") (param i32 i32 i32 i32 i32) (loop $forever (br $forever)))`;
  const wat = `(module (import "env" "memory" (memory 1 65536 shared)) ${spin('dots')} ${spin('dots8')})`;
  const parsed = (await wabtInit()).parseWat('stuck.wat', wat, { threads: true });
  try {
    return await WebAssembly.compile(parsed.toBinary({}).buffer);
  } finally {
    parsed.destroy();
  }
}

test('a worker that does not answer in time is given up and its range is scored by the caller', async () => {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 16, shared: true });
  const warnings: unknown[] = [];
  const log = { warn: (o: unknown) => warnings.push(o) } as unknown as ConstructorParameters<
    typeof ScanThreads
  >[2]['log'];
  const threads = new ScanThreads(await stuckModule(), memory, {
    count: 1,
    timeoutMs: 100,
    ...(log ? { log } : {}),
  });
  await threads.start();
  expect(threads.active).toBe(1);
  const scored: Array<[number, number]> = [];
  const kernel = (addrs: number, n: number): void => void scored.push([addrs, n]);
  const n = SPLIT_FROM * 2;
  // The caller scores its half, waits for the worker, then scores the worker's half itself.
  expect(threads.run('dots8', kernel, 1000, n, 0, 16, 0)).toBe(false);
  expect(scored).toEqual([
    [1000, n / 2],
    [1000 + (n / 2) * 4, n / 2],
  ]);
  expect(warnings).toHaveLength(1);
  // Later scans no longer wait for it.
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
