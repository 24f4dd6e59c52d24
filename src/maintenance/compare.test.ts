import { compare, type FileFact } from './compare.js';

const R = 'viking://resources/r';
const rec = (uri: string, level: number, updated_at: number, scope = 'resources') => ({
  uri,
  scope,
  level,
  updated_at,
});
const file = (uri: string, mtimeMs: number, size = 10): FileFact => ({ uri, mtimeMs, size });

describe('compare', () => {
  test.each([
    [
      'in step (a listing may round the time 1 ms up)',
      [file(`${R}/a.md`, 1001)],
      [rec(`${R}/a.md`, 2, 1000)],
      {},
    ],
    ['a file without records', [file(`${R}/a.md`, 1000)], [], { missing: [`${R}/a.md`] }],
    ['an empty file needs none', [file(`${R}/a.md`, 1000, 0)], [], {}],
    [
      'records of an older version',
      [file(`${R}/a.md`, 5000)],
      [rec(`${R}/a.md`, 2, 1000)],
      { stale: [`${R}/a.md`] },
    ],
    ['records of a gone file', [], [rec(`${R}/a.md`, 2, 1000)], { orphans: [`${R}/a.md`] }],
    ['a folder summary and its level', [file(`${R}/.abstract.md`, 1000)], [rec(R, 0, 1000)], {}],
    ['a gone overview', [], [rec(R, 1, 1000)], { orphans: [`${R}/.overview.md`] }],
    ['session records are not files', [], [rec('viking://session/s/messages/m', 2, 1, 'session')], {}],
  ])('%s', (_label, files, records, expected) => {
    expect(compare(files, records)).toEqual({ missing: [], stale: [], orphans: [], ...expected });
  });
});
