/**
 * Long loops on the main thread cut by elapsed time, not by count: a step costs a few microseconds
 * on a quiet machine and ten times that under load, so a fixed count per turn is either too many
 * (a block of hundreds of milliseconds that every other tenant's request waits behind) or too few.
 * A loop run here yields the event loop whenever its current slice has run {@link SLICE_MS}.
 */
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * How long a slice runs before the event loop gets a turn. Short, because the server accepts **one
 * new connection per turn**: libuv (1.46, Node 20) takes a single connection from the listen queue
 * each time the loop polls, so while slices keep the loop busy, fresh connections are accepted at
 * the rate of turns. With 10 ms slices a turn took 15–40 ms and another tenant's probes, one every
 * 15 ms on fresh connections, queued in the kernel for 250–350 ms although no turn was longer than
 * ~110 ms (the 9.5 MiB write of issue 23 item 5); with 3 ms slices their p99 was 66–88 ms and the
 * write took as long (docs/BENCHMARKS.md, "one connection per turn").
 */
export const SLICE_MS = 3;

export interface SliceOptions {
  /** Milliseconds a slice may run (default {@link SLICE_MS}; 0 yields after every step). */
  readonly sliceMs?: number;
  /** How a slice yields (default: a turn of the event loop, `setImmediate`). */
  readonly pause?: () => Promise<unknown>;
}

/**
 * Runs `step` on each item of `items` in order, awaiting `pause` before the next item once the slice
 * has run `sliceMs` — never after the last one: the caller's own continuation follows at once. The
 * items may be produced lazily (a generator's work between two items counts in the slice).
 * @example await eachInSlices(passages, (passage, i) => drafts.push(make(passage, i)))
 */
export async function eachInSlices<T>(
  items: Iterable<T>,
  step: (item: T, i: number) => void,
  options: SliceOptions = {},
): Promise<void> {
  const sliceMs = options.sliceMs ?? SLICE_MS;
  const pause = options.pause ?? nextTurn;
  let sliceStart = performance.now();
  let i = 0;
  for (const item of items) {
    if (i > 0 && performance.now() - sliceStart >= sliceMs) {
      await pause();
      sliceStart = performance.now();
    }
    step(item, i);
    i += 1;
  }
}

/** `items` mapped by `fn`, in time slices ({@link eachInSlices}). */
export async function mapInSlices<T, U>(
  items: readonly T[],
  fn: (item: T) => U,
  options: SliceOptions = {},
): Promise<U[]> {
  const out: U[] = [];
  await eachInSlices(items, (item) => out.push(fn(item)), options);
  return out;
}

/** {@link eachInSlices} over the indexes `0 .. count - 1`. */
export function forEachInSlices(
  count: number,
  step: (i: number) => void,
  options: SliceOptions = {},
): Promise<void> {
  return eachInSlices(indexes(count), step, options);
}

function* indexes(count: number): Generator<number> {
  for (let i = 0; i < count; i++) yield i;
}
