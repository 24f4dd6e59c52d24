/**
 * BM25 as both full-text backends compute it (k1 1.2, b 0.75), with statistics over the caller's
 * view: N is the number of records the request's filter admits, a word's document frequency counts
 * the admitted records holding it, and the average length is that of the admitted records holding
 * any of the query's words. Nothing a caller may not read (another account's records, another user's
 * memories) moves a score, and every statistic is known to both backends at the cost of the matching
 * records alone: the in-memory index reads them from its postings, the LanceDB path from the records
 * its full-text index finds and a count. Scores are summed over the query's distinct words in their
 * order of first occurrence, so both backends give the same score bit for bit.
 */
import { words } from './tokens.js';

const K1 = 1.2;
const B = 0.75;

/** The inverse document frequency of a word held by `df` of `n` admitted records. */
export function idf(n: number, df: number): number {
  return Math.log(1 + (n - df + 0.5) / (df + 0.5));
}

/** The BM25 weight of one word in one record. */
export function weight(idf: number, tf: number, length: number, avg: number): number {
  return (idf * (tf * (K1 + 1))) / (tf + K1 * (1 - B + (B * length) / avg));
}

/** A scored record (`key` breaks ties: the lower first, so both backends give the same order). */
export interface Scored<T> {
  readonly item: T;
  readonly key: string;
  readonly score: number;
}

/** Best first: higher score, then the lower key. */
export function byScore<T>(a: Scored<T>, b: Scored<T>): number {
  return b.score - a.score || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

/** A matching record: its key, its length in words and the count of each query word (0: absent). */
export interface Counted<T> {
  readonly item: T;
  readonly key: string;
  readonly length: number;
  readonly tfs: ArrayLike<number>;
}

/**
 * `text` counted against the query's words (`position`: word → its place in the query) as `rank`
 * needs it; null when it holds none of them (a candidate the tokenizer does not confirm is no match).
 */
export function countTerms<T>(
  item: T,
  key: string,
  text: string,
  position: ReadonlyMap<string, number>,
): Counted<T> | null {
  const all = words(text);
  const tfs = new Int32Array(position.size);
  let found = false;
  for (const word of all) {
    const j = position.get(word);
    if (j === undefined) continue;
    tfs[j] = (tfs[j] as number) + 1;
    found = true;
  }
  return found ? { item, key, length: all.length, tfs } : null;
}

/**
 * The k best of the records holding at least one query word (`matches`), among `n` admitted records.
 * The reference of the in-memory index, which computes the same expression over its own arrays.
 */
export function rank<T>(matches: readonly Counted<T>[], terms: number, n: number, k: number): Scored<T>[] {
  if (matches.length === 0 || k <= 0) return [];
  const df = new Int32Array(terms);
  let total = 0;
  for (const m of matches) {
    total += m.length;
    for (let j = 0; j < terms; j++) if ((m.tfs[j] ?? 0) > 0) df[j] = (df[j] as number) + 1;
  }
  const idfs = Float64Array.from(df, (d) => idf(n, d));
  const avg = total / matches.length;
  return matches
    .map(({ item, key, length, tfs }) => {
      let score = 0;
      for (let j = 0; j < terms; j++) {
        const tf = tfs[j] ?? 0;
        if (tf > 0) score += weight(idfs[j] as number, tf, length, avg);
      }
      return { item, key, score };
    })
    .sort(byScore)
    .slice(0, k);
}
