/**
 * The searchable form of text for full-text search, shared by LanceDB's index and the in-memory one
 * so both find the same words. Chinese, Japanese and Korean are written without spaces between words
 * (`OAuth认证相关内容。` is one "word" to a whitespace-and-punctuation tokenizer), so every run of
 * CJK characters becomes its overlapping character bigrams, set apart from the Latin words glued to
 * it: a query's bigrams then match wherever its characters appear in that order. Any other text is
 * left alone, so English tokens, and therefore English ranking, are exactly as before. (LanceDB's own
 * options were weighed: its n-gram tokenizer splits English words too, so `cat` would match
 * `category`; its ICU tokenizer needs word lists and dropped English words in our trials.)
 */

/** Han, Hiragana, Katakana (with the long-vowel mark) and Hangul. */
const CJK = '\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}\\p{Script=Hangul}\\u30fc';
const CJK_CHAR = new RegExp(`[${CJK}]`, 'u');
const CJK_RUN = new RegExp(`[${CJK}]+`, 'gu');

/** The overlapping bigrams of a CJK run (the run itself when it is a single character). */
function bigrams(run: string): string {
  const chars = [...run];
  if (chars.length < 2) return run;
  const out: string[] = [];
  for (let i = 0; i + 1 < chars.length; i++) out.push(`${chars[i] ?? ''}${chars[i + 1] ?? ''}`);
  return out.join(' ');
}

/** Whether `text` holds any CJK character (most text does not and is used as it is). */
export function hasCjk(text: string): boolean {
  return CJK_CHAR.test(text);
}

/**
 * The text a full-text index stores and a query is matched with. Applying it again yields the same
 * words (bigrams of bigrams are themselves), so text read back from the index can be indexed again.
 * @example searchableText('OAuth认证相关内容。') // 'OAuth 认证 证相 相关 关内 内容 。'
 */
export function searchableText(text: string): string {
  if (!hasCjk(text)) return text;
  return text
    .replace(CJK_RUN, (run) => ` ${bigrams(run)} `)
    .replace(/ {2,}/g, ' ')
    .trim();
}
