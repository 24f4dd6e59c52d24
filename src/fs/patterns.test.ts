import { isAppError } from '../errors.js';
import { compileGrepPattern, globToRegExp, MAX_PATTERN_LENGTH } from './patterns.js';

test.each([
  ['**/*.md', 'a.md', true],
  ['**/*.md', 'docs/deep/a.md', true],
  ['**/*.md', 'docs/.hidden.md', false],
  ['*.md', 'docs/a.md', false],
  ['docs/*', 'docs/a.md', true],
  ['docs/?.md', 'docs/a.md', true],
  ['docs/?.md', 'docs/ab.md', false],
  ['*.{md,txt}', 'notes.txt', true],
  ['*.{md,txt}', 'notes.pdf', false],
  ['.abstract.md', '.abstract.md', true],
  ['a(b)+.md', 'a(b)+.md', true],
  ['docs/**', 'docs/x/y', true],
])('glob %j on %j → %s', (pattern, path, expected) => {
  expect(globToRegExp(pattern).test(path)).toBe(expected);
});

test('grep patterns: flags, invalid and unsafe patterns', () => {
  expect(compileGrepPattern('todo', true).test('TODO')).toBe(true);
  expect(compileGrepPattern('todo', false).test('TODO')).toBe(false);
  for (const bad of ['(', '[a-', '(a+)+', '(\\w*)*x', '(x{2,})+', '', 'x'.repeat(MAX_PATTERN_LENGTH + 1)]) {
    expect(codeOf(() => compileGrepPattern(bad, false))).toBe('INVALID_ARGUMENT');
  }
  expect(compileGrepPattern('(ab)+c', false).test('ababc')).toBe(true);
});

function codeOf(work: () => unknown): string {
  try {
    work();
    return 'ok';
  } catch (error) {
    return isAppError(error) ? error.code : String(error);
  }
}
