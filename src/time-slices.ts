/**
 * Long loops on the main thread cut by elapsed time, not by count: a step costs a few microseconds
 * on a quiet machine and ten times that under load, so a fixed count per turn is either too many
 * (a block of hundreds of milliseconds that every other tenant's request waits behind) or too few.
 * A loop run here yields the event loop whenever its current slice has run {@link SLICE_MS}.
 */
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';

/** How long a slice runs before the event loop gets a turn. */
export const SLICE_MS = 10;

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
