/** add_resource's include/exclude globs on archive entries run on the linear engine (issue 23 item 2). */
import { archiveDocuments } from '../../src/resources/archive.js';

const LONG = `${'a'.repeat(100)}.md`;
const entries = [LONG, 'b.md', 'notes.txt'].map((name) => ({
  path: `kb/${name}`,
  data: new TextEncoder().encode(`# ${name}\n`),
}));
/** C(100, 10) ≈ 10^13 backtracking paths against LONG with a RegExp; jest's timeout bounds this test. */
const ATTACK = `${'*a'.repeat(10)}*b`;

const pathsOf = async (options: { include?: string; exclude?: string }) =>
  (await archiveDocuments(entries, options)).docs.map((d) => d.path).sort();

test('a backtracking include pattern finishes and includes nothing it should not', async () => {
  expect(await pathsOf({ include: ATTACK })).toEqual([]);
  expect(await pathsOf({ include: `${ATTACK},*.md` })).toEqual([LONG, 'b.md']);
}, 5000);

test('a backtracking exclude pattern finishes and excludes only what it matches', async () => {
  expect(await pathsOf({ exclude: ATTACK })).toEqual([LONG, 'b.md', 'notes.txt']);
  expect(await pathsOf({ exclude: `${'*a'.repeat(10)}*.md` })).toEqual(['b.md', 'notes.txt']);
}, 5000);

test('include and exclude patterns are globs as before', async () => {
  expect(await pathsOf({ include: '*.md, *.txt', exclude: 'b.*' })).toEqual([LONG, 'notes.txt']);
  expect(await pathsOf({ include: '?.md' })).toEqual(['b.md']);
});
