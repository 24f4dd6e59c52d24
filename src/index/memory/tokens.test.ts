import fc from 'fast-check';
import { searchableText } from '../terms.js';
import { queryTerms, tokenize, words } from './tokens.js';

const ASCII_ALPHABET = 'aZ09_ -,.\t!'.split('');
const CYRILLIC = 'высокопревосходительство'; // 24 letters, 48 bytes

test('the ASCII word cutter gives the words of the Unicode regular expression', () => {
  const ascii = fc.oneof(
    fc.string(),
    fc.string({ unit: fc.constantFrom(...ASCII_ALPHABET), maxLength: 120 }),
  );
  fc.assert(
    fc.property(ascii, (t) => {
      const want: string[] = [];
      for (const [word] of t.toLowerCase().matchAll(/[\p{Alphabetic}\p{N}]+/gu))
        if (word.length <= 40) want.push(word);
      // A non-ASCII character sends the text through the regular expression.
      expect(words(t)).toEqual(want);
      expect(words(`${t} é`)).toEqual([...want, 'é']);
    }),
    { numRuns: 500 },
  );
});

test('the searchable form (stored, read back by the mirror) and the words themselves cut to the same words', () => {
  const text = fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 60 }),
    fc.string({ unit: 'binary', maxLength: 60 }),
    fc.string({
      unit: fc.constantFrom('İ', 'ı', 'Σ', 'ς', 'ﬁ', 'ｆ', 'e\u0301', '_', ' ', '认', '证', 'a', '.'),
      maxLength: 30,
    }),
  );
  fc.assert(
    fc.property(text, (t) => {
      const cut = words(t);
      expect(searchableText(searchableText(t))).toBe(searchableText(t));
      expect(words(searchableText(t))).toEqual(cut);
      expect(words(cut.join(' '))).toEqual(cut);
      for (const word of cut) expect([...word].length).toBeLessThanOrEqual(40);
    }),
    { numRuns: 1000 },
  );
});

test.each([
  ['Hello, World! hello', ['hello', 'world', 'hello']],
  ['run running ran', ['run', 'running', 'ran']],
  ['the THE The', ['the', 'the', 'the']],
  ['café cafe CAFÉ cafe\u0301', ['café', 'cafe', 'café', 'café']],
  ['foo_bar foo-bar', ['foo', 'bar', 'foo', 'bar']],
  ['ﬁle ｆｕｌｌ ＦＵＬＬ x²', ['file', 'full', 'full', 'x2']],
  ['İstanbul ISTANBUL istanbul', ['istanbul', 'istanbul', 'istanbul']],
  ['ΟΔΟΣ οδος ΟΔΟΣ.Α', ['οδοσ', 'οδοσ', 'οδοσ', 'α']],
  [`${CYRILLIC} ${CYRILLIC.toUpperCase()}`, [CYRILLIC, CYRILLIC]],
  [`${'a'.repeat(41)} ${'b'.repeat(40)} ${'ж'.repeat(41)} ${'😀'.repeat(3)}`, ['b'.repeat(40)]],
  ['OAuth认证', ['oauth', '认证']],
  ['', []],
])('words(%j)', (text, expected) => {
  expect(words(text)).toEqual(expected);
  expect(tokenize(text).length).toBe(expected.length);
});

test('a query’s terms are its distinct words in order', () => {
  expect(queryTerms('Beta alpha BETA ﬁle file')).toEqual(['beta', 'alpha', 'file']);
});
