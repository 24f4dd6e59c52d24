import fc from 'fast-check';
import { RE2JS } from 're2js';
import { isAppError } from '../errors.js';
import { legacyGlob } from '../../scripts/bench/legacy-glob.js';
import { compileGlob, compileGrepPattern, MAX_PATTERN_LENGTH, MAX_PROGRAM_SIZE } from './patterns.js';

const GLOB_CASES: [string, string, boolean][] = [
  ['**/*.md', 'a.md', true],
  ['**/*.md', 'docs/deep/a.md', true],
  ['**/*.md', 'docs/.hidden.md', false],
  ['**/*.md', '.git/a.md', false],
  ['*.md', 'docs/a.md', false],
  ['*.md', '.md', false],
  ['docs/*', 'docs/a.md', true],
  ['docs/*', 'docs/.a', false],
  ['docs/.*', 'docs/.a', true],
  ['docs/?.md', 'docs/a.md', true],
  ['docs/?.md', 'docs/ab.md', false],
  ['docs/?a', 'docs/.a', false],
  ['*.{md,txt}', 'notes.txt', true],
  ['*.{md,txt}', 'notes.pdf', false],
  ['{docs/a,b}.md', 'docs/a.md', true],
  ['{.a,b}', '.a', true],
  ['{*,x}', 'y', false],
  ['{*,x}', '*', true],
  ['a{b', 'a{b', true],
  ['[ab].md', '[ab].md', true],
  ['[ab].md', 'a.md', false],
  ['.abstract.md', '.abstract.md', true],
  ['a(b)+.md', 'a(b)+.md', true],
  ['docs/**', 'docs/x/y', true],
  ['docs/**', 'docs/x/.y', false],
  ['docs/**/z', 'docs/z', true],
  ['docs/**/z', 'docs/x/y/z', true],
  ['a**b', 'axyb', true],
  ['a**b', 'ax/yb', false],
  ['**.md', 'a.md', true],
  ['*/*', 'a/b', true],
  ['*', 'a/b', false],
  ['ümlaut/*', 'ümlaut/😀', true],
  ['?', '😀', true],
];

test.each(GLOB_CASES)('glob %j on %j → %s, as before', (pattern, path, expected) => {
  expect(compileGlob(pattern).test(path)).toBe(expected);
  expect(legacyGlob(pattern).test(path)).toBe(expected);
});

test('glob: random normal patterns and paths match exactly as with the backtracking compiler', () => {
  const pattern = fc
    .array(fc.constantFrom('a', 'b', '.', '/', '*', '?', '**/', '/**', '{a,.b}', '{', '}', ',', '['), {
      maxLength: 7,
    })
    .map((parts) => parts.join(''))
    .filter((p) => p.length > 0);
  const path = fc.array(fc.constantFrom('a', 'b', '.', '/', 'ab'), { maxLength: 8 }).map((p) => p.join(''));
  fc.assert(
    fc.property(pattern, path, (p, s) => compileGlob(p).test(s) === legacyGlob(p).test(s)),
    { numRuns: 3000 },
  );
});

test('glob: the issue’s attack and a worse one finish (linear engine) with the right answer', () => {
  expect(compileGlob(`${'*a'.repeat(6)}*b`).test('a'.repeat(70))).toBe(false);
  // C(100, 10) backtracking paths (~10^13) with the RegExp compiler; jest's timeout bounds this test.
  const pattern = `${'*a'.repeat(10)}*b`;
  expect(compileGlob(pattern).test('a'.repeat(100))).toBe(false);
  expect(compileGlob(pattern).test(`${'a'.repeat(100)}b`)).toBe(true);
  expect(compileGlob(pattern).test('.aaaaaaaaaab')).toBe(false);
}, 5000);

test('glob: bad patterns are 400', () => {
  for (const bad of ['', 'x'.repeat(MAX_PATTERN_LENGTH + 1), 'a\u0001b']) {
    expect(codeOf(() => compileGlob(bad))).toBe('INVALID_ARGUMENT');
  }
});

/** Pattern, line, case-insensitive, whether it matches: the same with JavaScript's RegExp (flag u). */
const GREP_CASES: [string, string, boolean, boolean][] = [
  ['todo', 'TODO: x', true, true],
  ['todo', 'TODO: x', false, false],
  ['^## ', '## Title', false, true],
  ['^## ', 'x ## Title', false, false],
  ['error|warning', 'a warning here', false, true],
  ['\\bfoo\\w+', 'a foobar', false, true],
  ['\\bfoo\\w+', 'afoobar', false, false],
  ['[0-9a-f]{40}', 'da39a3ee5e6b4b0d3255bfef95601890afd80709', false, true],
  ['\\d{4}-\\d{2}-\\d{2}', 'on 2026-12-06.', false, true],
  ['colou?r$', 'the color', false, true],
  ['(ab)+c', 'ababc', false, true],
  ['(?:x|y){2}', 'xz', false, false],
  ['a.c', 'abc', false, true],
  ['\\u0041', 'A', false, true],
  ['\\u{1F600}', 'smile 😀', false, true],
  ['(?<word>\\w+)@', 'me@example', false, true],
  ['viking://resources/', 'see viking://resources/x', false, true],
  ['ÉTÉ', 'un été', true, true],
  ['[^a-z]', 'abc', false, false],
  ['x*?y', 'xxy', false, true],
  ['(a+)+', 'aaa', false, true],
];

test.each(GREP_CASES)(
  'grep %j on %j (i: %s) → %s, as with RegExp',
  (pattern, line, insensitive, expected) => {
    expect(compileGrepPattern(pattern, insensitive).test(line)).toBe(expected);
    expect(new RegExp(pattern, insensitive ? 'iu' : 'u').test(line)).toBe(expected);
  },
);

test('grep: only literal alternations run on RegExp; everything else on the linear engine', () => {
  for (const literal of ['TODO', 'error|warning', '^## ', 'end$|^start', 'a\\.b\\(c\\)', 'viking://x']) {
    expect(compileGrepPattern(literal, true)).toBeInstanceOf(RegExp);
  }
  for (const other of [
    '(a|a)*b',
    '((a+))+b',
    '.*.*.*.*x',
    'a.b',
    '[ab]',
    'a?',
    'x{2}',
    'a^b',
    'a$b',
    '\\d',
    '\\bx',
  ]) {
    expect(compileGrepPattern(other, false)).not.toBeInstanceOf(RegExp);
  }
});

test('grep: literal alternations answer as RE2 does (with and without case folding)', () => {
  const pattern = fc
    .array(fc.constantFrom('a', 'K', 'k', 's', 'S', 'é', 'É', '|', '^', '$', '\\.', '.', ' '), {
      minLength: 1,
      maxLength: 6,
    })
    .map((parts) => parts.join(''));
  const text = fc
    .array(fc.constantFrom('a', 'A', 'k', 'K', '\u212a', 's', '\u017f', 'é', 'É', '.', ' ', 'x'), {
      maxLength: 8,
    })
    .map((parts) => parts.join(''));
  fc.assert(
    fc.property(pattern, text, fc.boolean(), (p, t, insensitive) => {
      let reference: RE2JS;
      try {
        reference = RE2JS.compile(RE2JS.translateRegExp(p), insensitive ? RE2JS.CASE_INSENSITIVE : 0);
      } catch {
        return true; // refused by both (checked elsewhere)
      }
      return compileGrepPattern(p, insensitive).test(t) === reference.test(t);
    }),
    { numRuns: 5000 },
  );
});

test('grep: the issue’s attack patterns finish (linear engine) with the right answer', () => {
  // Each takes 2^40 (or 8192^4) steps with a backtracking RegExp; jest's timeout bounds this test.
  expect(compileGrepPattern('(a|a)*b', false).test('a'.repeat(40))).toBe(false);
  expect(compileGrepPattern('(a|a)*b', false).test(`${'a'.repeat(40)}b`)).toBe(true);
  expect(compileGrepPattern('((a+))+b', false).test('a'.repeat(8192))).toBe(false);
  expect(compileGrepPattern('.*.*.*.*x', false).test('a'.repeat(8192))).toBe(false);
  expect(compileGrepPattern('.*.*.*.*x', false).test(`${'a'.repeat(8191)}x`)).toBe(true);
}, 5000);

test.each([
  ['(a)\\1', 'backreference (\\1)'],
  ['(?<n>a)\\k<n>', 'backreference (\\k<)'],
  ['a(?=b)', 'lookahead ((?=)'],
  ['a(?!b)', 'lookahead ((?!)'],
  ['(?<=a)b', 'lookbehind ((?<=)'],
  ['(?<!a)b', 'lookbehind ((?<!)'],
  ['(?>a)', 'atomic group ((?>)'],
])('grep %j is 400 naming the unsupported construct', (pattern, named) => {
  const error = errorOf(() => compileGrepPattern(pattern, false));
  expect(error.code).toBe('INVALID_ARGUMENT');
  expect(error.message).toContain(named);
});

test('grep: constructs inside a class or escaped are literal, not refused', () => {
  expect(compileGrepPattern('[(?=]x', false).test('=x')).toBe(true);
  expect(compileGrepPattern('\\(?=', false).test('(=')).toBe(true);
});

test('grep: invalid, empty, too long and too complex patterns are 400', () => {
  for (const bad of ['(', '[a-', 'a**', '', 'x'.repeat(MAX_PATTERN_LENGTH + 1), 'a{1001}']) {
    expect(errorOf(() => compileGrepPattern(bad, false)).code).toBe('INVALID_ARGUMENT');
  }
  const complex = errorOf(() => compileGrepPattern('[\\p{L}\\p{N}]{1000}z', false));
  expect(complex.message).toContain(`at most ${MAX_PROGRAM_SIZE}`);
  expect(errorOf(() => compileGrepPattern('(', false)).message).toMatch(
    /^invalid regular expression: missing closing \)/,
  );
});

function errorOf(work: () => unknown): { code: string; message: string } {
  try {
    work();
  } catch (error) {
    if (isAppError(error)) return { code: error.code, message: error.message };
    return { code: String(error), message: String(error) };
  }
  return { code: 'ok', message: '' };
}

function codeOf(work: () => unknown): string {
  return errorOf(work).code;
}
