import { ImportSkips, importSkip } from './import-rule.js';

test.each([
  ['a.md', null],
  ['kb/guide/a.md', null],
  ['.env', { path: '.env', reason: 'hidden' }],
  ['kb/.env', { path: 'kb/.env', reason: 'hidden' }],
  ['kb/.git/config', { path: 'kb/.git/', reason: 'hidden' }],
  ['.git/', { path: '.git/', reason: 'hidden' }],
  ['kb/node_modules/x/a.md', { path: 'kb/node_modules/', reason: 'ignored_folder' }],
  ['__MACOSX/kb/._a.md', { path: '__MACOSX/', reason: 'ignored_folder' }],
  ['venv/', { path: 'venv/', reason: 'ignored_folder' }],
  // A file merely named like an ignored folder is imported.
  ['kb/venv', null],
  ['kb/.abstract.md', { path: 'kb/.abstract.md', reason: 'hidden' }],
])('importSkip(%j)', (path, expected) => {
  expect(importSkip(path)).toEqual(expected);
});

test("a pack keeps the store's own folder summaries, and nothing else hidden", () => {
  expect(importSkip('kb/.abstract.md', { keepSummaries: true })).toBeNull();
  expect(importSkip('.overview.md', { keepSummaries: true })).toBeNull();
  expect(importSkip('kb/.env', { keepSummaries: true })).toEqual({ path: 'kb/.env', reason: 'hidden' });
  expect(importSkip('.abstract.md/x.md', { keepSummaries: true })).toEqual({
    path: '.abstract.md/',
    reason: 'hidden',
  });
});

test('ImportSkips lists each skipped folder once, with a warning naming it', () => {
  const skips = new ImportSkips();
  const taken = ['a.md', '.git/HEAD', '.git/config', 'node_modules/p/i.js', '.env'].filter((p) =>
    skips.take(p),
  );
  expect(taken).toEqual(['a.md']);
  expect(skips.warnings()).toEqual([
    'skipped .git/: hidden folder, never imported',
    'skipped node_modules/: folder of dependencies or tool metadata, never imported',
    'skipped .env: hidden file, never imported',
  ]);
});
