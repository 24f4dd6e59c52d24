/**
 * Ranking the retrieval paths' lists: each record once, the score threshold in the path's own
 * measure, hybrid fused by reciprocal rank, the best hit per URI — and whether fetching deeper could
 * still add a hit.
 */
import type { PlanReport } from '../index/planner.js';
import { bestPerKey, reciprocalRankFusion, type Ranked } from './fuse.js';
import type { IndexHit, SearchMode, SearchRequest } from './types.js';

/** One retrieval path's results, best first. */
export interface RankedList {
  readonly reason: string;
  readonly items: readonly IndexHit[];
  readonly plan?: PlanReport;
  readonly ms: number;
}

/**
 * The best verified hit per URI, best first: records that failed the check (`verified` false) or
 * miss the threshold are left out before the lists are fused.
 */
export function rankHits(
  lists: readonly RankedList[],
  verified: ReadonlyMap<string, boolean>,
  request: Pick<SearchRequest, 'mode' | 'score_threshold'>,
): Ranked<IndexHit>[] {
  const checked = lists.map(({ reason, items }) => ({
    reason,
    items: uniqueById(items).filter(
      (h) => verified.get(h.id) === true && relevant(reason, h, request.mode, request.score_threshold),
    ),
  }));
  const ranked = request.mode === 'hybrid' ? reciprocalRankFusion(checked, (h) => h.id) : single(checked[0]);
  return bestPerKey(ranked, (h) => h.uri);
}

/**
 * Whether fetching deeper than `k` records per path could add a hit: some list came back full, and a
 * record below depth k could still reach the threshold — in one list the measure only falls, so once
 * the last record fetched is below it none deeper passes; in hybrid, full-text matches always count.
 */
export function deeper(
  lists: readonly RankedList[],
  k: number,
  mode: SearchMode,
  threshold: number | undefined,
): boolean {
  if (!lists.some((l) => l.items.length >= k)) return false;
  if (threshold === undefined || mode === 'hybrid') return true;
  const last = lists[0]?.items.at(-1);
  return last === undefined || measureOf(last) >= threshold;
}

/** A ranked list with each record once (its best rank): a record must never be counted twice. */
function uniqueById(items: readonly IndexHit[]): IndexHit[] {
  const seen = new Set<string>();
  return items.filter((h) => {
    if (seen.has(h.id)) return false;
    seen.add(h.id);
    return true;
  });
}

/** A retrieval path's own measure of a row: cosine similarity (vector) or BM25 (full text). */
function measureOf(item: IndexHit): number {
  return item._distance !== undefined ? 1 - item._distance : (item._score ?? 0);
}

/**
 * Whether a row of one retrieval path meets `score_threshold` (see {@link SearchRequest}): its own
 * measure must reach it, except full-text rows in hybrid mode, which matched the query's words.
 */
function relevant(reason: string, item: IndexHit, mode: SearchMode, threshold: number | undefined): boolean {
  if (threshold === undefined || (mode === 'hybrid' && reason === 'fulltext')) return true;
  return measureOf(item) >= threshold;
}

function single(list: Pick<RankedList, 'reason' | 'items'> | undefined): Ranked<IndexHit>[] {
  if (list === undefined) return [];
  return list.items.map((item) => ({
    item,
    score: measureOf(item),
    reasons: [list.reason],
  }));
}
