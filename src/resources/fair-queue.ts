/**
 * A queue shared fairly between keys (accounts): first in, first out within a key, and each item
 * taken comes from the key with the fewest items running, then the key served longest ago — so one
 * account that queues many jobs delays another account's next job by at most one job per worker,
 * not by all of its own. A key is remembered while it has items queued or running.
 */
import { itemAt } from '../errors.js';

interface KeyState<T> {
  readonly items: T[];
  running: number;
  /** When this key was last served (0: never). */
  served: number;
}

export class FairQueue<T> {
  private readonly keys = new Map<string, KeyState<T>>();
  private clock = 0;
  private count = 0;

  /** Items waiting, over all keys. */
  get size(): number {
    return this.count;
  }

  /** Items of `key` waiting. */
  sizeOf(key: string): number {
    return this.keys.get(key)?.items.length ?? 0;
  }

  /** Whether `item` is waiting under `key`. */
  has(key: string, item: T): boolean {
    return this.keys.get(key)?.items.includes(item) ?? false;
  }

  push(key: string, item: T): void {
    const state = this.keys.get(key) ?? { items: [], running: 0, served: 0 };
    this.keys.set(key, state);
    state.items.push(item);
    this.count++;
  }

  /**
   * The next item in fair order, counted as running for its key until {@link finish}.
   * @example q.push('a', 1); q.push('a', 2); q.push('b', 3); q.take() // 1, then 3, then 2
   */
  take(): { key: string; item: T } | undefined {
    let best: [string, KeyState<T>] | undefined;
    for (const entry of this.keys) {
      const state = entry[1];
      if (state.items.length === 0) continue;
      if (best === undefined || precedes(state, best[1])) best = entry;
    }
    if (best === undefined) return undefined;
    const [key, state] = best;
    const item = itemAt(state.items, 0);
    state.items.shift();
    this.count--;
    state.running++;
    state.served = ++this.clock;
    return { key, item };
  }

  /** One item of `key` taken earlier is done. */
  finish(key: string): void {
    const state = this.keys.get(key);
    if (state === undefined) return;
    state.running = Math.max(0, state.running - 1);
    this.forgetIfIdle(key, state);
  }

  /** Removes a waiting item (one that gave up); false if it was not waiting. */
  remove(key: string, item: T): boolean {
    const state = this.keys.get(key);
    const index = state?.items.indexOf(item) ?? -1;
    if (state === undefined || index < 0) return false;
    state.items.splice(index, 1);
    this.count--;
    this.forgetIfIdle(key, state);
    return true;
  }

  /** Every waiting item, removed. */
  drain(): T[] {
    const all = [...this.keys.values()].flatMap((state) => state.items.splice(0));
    this.count = 0;
    return all;
  }

  private forgetIfIdle(key: string, state: KeyState<T>): void {
    if (state.items.length === 0 && state.running === 0) this.keys.delete(key);
  }
}

/** Fewer running first; among equals, the one served longest ago (insertion order breaks ties). */
function precedes<T>(a: KeyState<T>, b: KeyState<T>): boolean {
  return a.running !== b.running ? a.running < b.running : a.served < b.served;
}
