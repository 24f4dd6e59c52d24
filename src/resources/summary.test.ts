import { folderSummaries, leadText } from './summary.js';

test.each([
  ['# Title\n\nFirst sentence. Second one.', 'Title. First sentence. Second one.'],
  ['```js\ncode()\n```\nAfter the code', 'After the code.'],
  ['- item one\n- item two', 'item one. item two.'],
  ['', ''],
  // Issue 28: underscores inside names stay; emphasis marks go.
  ['Call pg_last_wal_replay_lsn() on the _replica_.', 'Call pg_last_wal_replay_lsn() on the replica.'],
  ['__Bold__ and *strong* and `MAX_FILE_BYTES`', 'Bold and strong and MAX_FILE_BYTES.'],
])('leadText(%j) = %j', (text, lead) => {
  expect(leadText(text)).toBe(lead);
});

test('long text is cut at a sentence end', () => {
  const text = `${'Alpha beta gamma. '.repeat(30)}`;
  const lead = leadText(text, 100);
  expect(lead.length).toBeLessThanOrEqual(100);
  expect(lead.endsWith('gamma.')).toBe(true);
});

test('a single document: the abstract is its lead text, the overview lists it', () => {
  const [root] = folderSummaries(
    'guide',
    [{ path: 'guide.md', content: '# Deploying\n\nWe deploy on Fridays.' }],
    'team docs',
  );
  expect(root).toEqual({
    folder: '',
    abstract: 'Deploying. We deploy on Fridays.\n',
    overview: '# guide\n\nAdded because: team docs\n\n- guide.md — Deploying. We deploy on Fridays.\n',
  });
});

test('a folder tree: every folder gets a census abstract, the README leads', () => {
  const summaries = folderSummaries('repo', [
    { path: 'README.md', content: 'A tool for otters.' },
    { path: 'src/a.ts', content: 'export const a = 1;' },
    { path: 'src/lib/b.ts', content: 'export const b = 2;' },
  ]);
  expect(summaries.map((s) => s.folder)).toEqual(['', 'src', 'src/lib']);
  expect(summaries[0]?.abstract).toBe('repo: 3 documents (README.md, src/). A tool for otters.\n');
  expect(summaries[0]?.overview).toContain('- src/ — 2 documents');
  expect(summaries[1]?.abstract).toBe('src: 2 documents (a.ts, lib/). export const a = 1;\n');
  expect(summaries[2]?.abstract).toBe('export const b = 2;\n');
});
