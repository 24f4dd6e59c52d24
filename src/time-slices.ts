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
 * Runs `step(0)`, …, `step(count - 1)` in order, awaiting `pause` between two steps once the slice
 * has run `sliceMs`. Not after the last step: the caller's own continuation follows at once.
 * @example await forEachInSlices(drafts.length, (i) => out.push(make(drafts[i])))
 */
export async function forEachInSlices(
  count: number,
  step: (i: number) => void,
  options: SliceOptions = {},
): Promise<void> {
  const sliceMs = options.sliceMs ?? SLICE_MS;
  const pause = options.pause ?? nextTurn;
  let sliceStart = performance.now();
  for (let i = 0; i < count; i++) {
    step(i);
    if (i + 1 < count && performance.now() - sliceStart >= sliceMs) {
      await pause();
      sliceStart = performance.now();
    }
  }
}
