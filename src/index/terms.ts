/**
 * The searchable form of text for full-text search: what the `text` column of the records table
 * holds, what LanceDB's full-text index cuts, and what the in-memory index reads back at load. It is
 * the text with the foldings of the one tokenizer (src/index/memory/tokens.ts) that LanceDB's own
 * tokenizer would not make, applied in advance, so that LanceDB's index holds the same words:
 * - Unicode NFKC: ligatures and compatibility forms become their plain letters (`ﬁle` → `file`,
 *   fullwidth `ｆｕｌｌ` → `full`, `²` → `2`), and decomposed accents are composed (`e◌́` → `é`);
 * - Turkish `İ` becomes `i` (lower-casing gives `i` + a combining dot, which would cut the word), and
 *   the final sigma `ς` becomes `σ` (lower-casing makes it from `Σ` only at the end of a word);
 * - Chinese, Japanese and Korean are written without spaces between words (`OAuth认证相关内容。` is
 *   one "word" to a whitespace-and-punctuation tokenizer), so every run of CJK characters becomes its
 *   overlapping character bigrams, set apart from the Latin words glued to it: a query's bigrams then
 *   match wherever its characters appear in that order. (LanceDB's n-gram tokenizer splits English
 *   words too, so `cat` would match `category`; its ICU tokenizer dropped English words in trials.)
 * Case is left as it is (LanceDB lower-cases; the text stays readable). ASCII text is unchanged.
 */

/** Han, Hiragana, Katakana (with the long-vowel mark) and Hangul. */
const CJK = '\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}\\p{Script=Hangul}\\u30fc';
const CJK_CHAR = new RegExp(`[${CJK}]`, 'u');
const CJK_RUN = new RegExp(`[${CJK}]+`, 'gu');
/** A character other than printable ASCII, tab or line breaks. */
const NON_ASCII = /[^\t-~]/;

/** The overlapping bigrams of a CJK run (the run itself when it is a single character). */
function bigrams(run: string): string {
  const chars = [...run];
  if (chars.length < 2) return run;
  const out: string[] = [];
  for (let i = 0; i + 1 < chars.length; i++) out.push(`${chars[i] ?? ''}${chars[i + 1] ?? ''}`);
  return out.join(' ');
}

/** Whether `text` holds any CJK character. */
export function hasCjk(text: string): boolean {
  return CJK_CHAR.test(text);
}

/** Whether `text` holds anything but printable ASCII (only such text can change when folded). */
export function hasNonAscii(text: string): boolean {
  return NON_ASCII.test(text);
}

/** NFKC, `İ` → `i`, `ς` → `σ` (see the module comment). */
export function foldText(text: string): string {
  return text
    .normalize('NFKC')
    .replace(/\u0130/g, 'i')
    .replace(/\u03c2/g, '\u03c3');
}

/**
 * The text a full-text index stores and a query is matched with. Applying it again yields the same
 * text (bigrams of bigrams are themselves; the foldings are idempotent), so text read back from the
 * index can be indexed again.
 * @example searchableText('OAuth认证相关内容。') // 'OAuth 认证 证相 相关 关内 内容 。'
 * @example searchableText('ﬁle İstanbul') // 'file istanbul'
 */
export function searchableText(text: string): string {
  if (!hasNonAscii(text)) return text;
  const folded = foldText(text);
  if (!hasCjk(folded)) return folded;
  return folded
    .replace(CJK_RUN, (run) => ` ${bigrams(run)} `)
    .replace(/ {2,}/g, ' ')
    .trim();
}
