/**
 * The words full-text search indexes and matches: the lower-cased runs of letters, digits and `_` of
 * a text's searchable form (CJK runs split into bigrams, src/index/terms.ts), at most 40 characters.
 * ASCII text — nearly all of it — is cut by a loop over character codes, without a regular
 * expression or a match object per word; any other text goes through the Unicode regular expression.
 * Both give the same words for ASCII text (a property test checks it).
 */
import { searchableText } from '../terms.js';

/** The Unicode definition of a word character run; the reference for every text. */
export const WORD = /[\p{L}\p{N}_]+/gu;
/** Longer tokens are not indexed (ids, base64 blobs): they would only bloat the postings. */
export const MAX_TOKEN_CHARS = 40;
/** A character other than printable ASCII, tab or line breaks: the text goes through the regular expression. */
const NON_ASCII = /[^\t-~]/;

/** Whether an ASCII code is a word character: a-z, A-Z, 0-9 or `_`. */
function wordCode(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || c === 95;
}

/** The words of a text in order, repeats included (the tokens longer than the limit left out). */
export function words(text: string): string[] {
  const out: string[] = [];
  if (NON_ASCII.test(text)) {
    for (const match of searchableText(text).toLowerCase().matchAll(WORD)) {
      if (match[0].length <= MAX_TOKEN_CHARS) out.push(match[0]);
    }
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

/** The distinct words of a text with their counts, and its length in words. */
export function tokenize(text: string): { terms: Map<string, number>; length: number } {
  const terms = new Map<string, number>();
  const all = words(text);
  for (const term of all) terms.set(term, (terms.get(term) ?? 0) + 1);
  return { terms, length: all.length };
}
