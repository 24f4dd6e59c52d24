/** Ranking helpers for search: reciprocal-rank fusion and one-hit-per-URI selection. Pure. */

/** The fusion constant of reciprocal-rank fusion (Cormack et al.). */
export const RRF_K = 60;

export interface Ranked<T> {
  readonly item: T;
  readonly score: number;
  readonly reasons: readonly string[];
}

/**
 * Fuses ranked lists by reciprocal rank: score = Σ 1 / (RRF_K + rank), rank from 1, normalised so
 * that an item ranked first in every list scores 1.
 */
export function reciprocalRankFusion<T>(
  lists: ReadonlyArray<{ readonly reason: string; readonly items: readonly T[] }>,
  keyOf: (item: T) => string,
): Ranked<T>[] {
  const fused = new Map<string, { item: T; score: number; reasons: string[] }>();
  for (const { reason, items } of lists) {
    items.forEach((item, index) => {
      const key = keyOf(item);
      const entry = fused.get(key) ?? { item, score: 0, reasons: [] };
      entry.score += 1 / (RRF_K + index + 1);
      entry.reasons.push(reason);
      fused.set(key, entry);
    });
  }
  const best = lists.length / (RRF_K + 1);
  return [...fused.values()]
    .map((e) => ({ item: e.item, score: e.score / best, reasons: e.reasons }))
    .sort((a, b) => b.score - a.score);
}

/** Keeps the best-scoring entry per key, in descending score order. */
export function bestPerKey<T>(ranked: readonly Ranked<T>[], keyOf: (item: T) => string): Ranked<T>[] {
  const best = new Map<string, Ranked<T>>();
  for (const entry of ranked) {
    const key = keyOf(entry.item);
    const current = best.get(key);
    if (current === undefined || entry.score > current.score) best.set(key, entry);
  }
  return [...best.values()].sort((a, b) => b.score - a.score);
}
