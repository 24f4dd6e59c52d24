/**
 * The one tokenizer of full-text search, for both backends (the in-memory index and LanceDB's
 * full-text index, whose options are set to cut the same words: src/index/fulltext-lance.ts).
 * A text's words are the runs of letters and digits (Unicode `Alphabetic` and `N`, the definition of
 * LanceDB's `simple` tokenizer) of its searchable form (src/index/terms.ts: NFKC, `İ` and `ς` folded,
 * CJK runs cut into bigrams), lower-cased. Deliberately:
 * - `_` and other punctuation separate words: `foo_bar` is `foo` and `bar` (identifiers' parts are
 *   found; a query `foo_bar` ranks the records holding both first);
 * - no stemming and no stop words: `running` does not find `run`, and `the` is a word like any other;
 * - accents are kept: `café` and `cafe` are different words (folding them would merge distinct words
 *   in many languages: `año`/`ano`, `müll`/`mull`);
 * - words of more than 40 characters (code points, not bytes: a long Cyrillic word is kept) are left
 *   out (ids, base64 blobs): they would only bloat the postings.
 * ASCII text — nearly all of it — is cut by a loop over character codes, without a regular
 * expression or a match object per word; any other text goes through the Unicode regular expression.
 * Both give the same words for ASCII text (a property test checks it).
 */
import { hasNonAscii, searchableText } from '../terms.js';

/** The Unicode definition of a word: a run of letters and digits. */
export const WORD = /[\p{Alphabetic}\p{N}]+/gu;
/** Longer words (in code points) are not indexed. */
export const MAX_TOKEN_CHARS = 40;

/** Whether an ASCII code is a word character: a-z, A-Z or 0-9. */
function wordCode(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || (c >= 65 && c <= 90);
}

/** Whether a word is short enough to index (UTF-16 units bound code points from above). */
function indexable(word: string): boolean {
  if (word.length <= MAX_TOKEN_CHARS) return true;
  // A string iterates by code points (a surrogate pair is one): short if it ends within the limit.
  const points = word[Symbol.iterator]();
  for (let n = 0; n <= MAX_TOKEN_CHARS; n++) if (points.next().done === true) return true;
  return false;
}

/** The words of a text in order, repeats included (the words longer than the limit left out). */
export function words(text: string): string[] {
  const out: string[] = [];
  if (hasNonAscii(text)) {
    // Lower-casing makes `ς` from a final `Σ`: folded again.
    const lower = searchableText(text)
      .toLowerCase()
      .replace(/\u03c2/g, '\u03c3');
    for (const match of lower.matchAll(WORD)) if (indexable(match[0])) out.push(match[0]);
    return out;
  }
  const lower = text.toLowerCase();
  const n = lower.length;
  let i = 0;
  while (i < n) {
    while (i < n && !wordCode(lower.charCodeAt(i))) i++;
    const start = i;
    while (i < n && wordCode(lower.charCodeAt(i))) i++;
    if (i > start && i - start <= MAX_TOKEN_CHARS) out.push(lower.slice(start, i));
  }
  return out;
}

/** The distinct words of a text, in order of first occurrence (a query's terms). */
export function queryTerms(text: string): string[] {
  return [...new Set(words(text))];
}

/** The distinct words of a text with their counts, and its length in words. */
export function tokenize(text: string): { terms: Map<string, number>; length: number } {
  const terms = new Map<string, number>();
  const all = words(text);
  for (const term of all) terms.set(term, (terms.get(term) ?? 0) + 1);
  return { terms, length: all.length };
}
