/**
 * The conformance cases live in the repository (test/conformance/cases/, what the runners read), so
 * a clone stands alone. When the shared contract is checked out next to it (../shared/conformance),
 * the copy must equal it file for file, byte for byte; a difference fails naming the file. To update
 * the copy after the contract changed: `cp -r ../shared/conformance/. test/conformance/cases/`.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/temp-dir.js';
import { CASES_DIR, SHARED_DIR } from './cases.js';
import { differences, filesBelow } from './copy.js';

const copy = fileURLToPath(CASES_DIR);
const shared = fileURLToPath(SHARED_DIR);

test('the repository holds its own copy of the cases', () => {
  expect(filesBelow(copy)).toContain('namespace-cases.json');
});

test('the copy equals ../shared/conformance when that folder exists', () => {
  // Outside the project's layout (a lone clone) there is nothing to compare with.
  const found = existsSync(shared) ? differences(copy, shared) : [];
  expect(found).toEqual([]);
});

describe('the comparison', () => {
  const dir = tempDir('vs-conformance-');
  afterAll(() => dir.remove());

  function folders(name: string, ours: Record<string, string>, theirs: Record<string, string>) {
    const make = (side: string, files: Record<string, string>): string => {
      const root = join(dir.path, name, side);
      for (const [file, text] of Object.entries(files)) {
        mkdirSync(join(root, file, '..'), { recursive: true });
        writeFileSync(join(root, file), text);
      }
      mkdirSync(root, { recursive: true });
      return root;
    };
    return differences(make('copy', ours), make('shared', theirs));
  }

  test('equal folders (nested files included) have no differences', () => {
    const files = { 'a.json': '{}', 'more/b.json': '[1]' };
    expect(folders('same', files, files)).toEqual([]);
  });

  test('a changed byte, a missing file and an extra file are each named', () => {
    const found = folders(
      'changed',
      { 'a.json': '{"x": 1}\n', 'extra.json': '{}' },
      { 'a.json': '{"x": 1} \n', 'more/new.json': '{}' },
    );
    expect(found).toHaveLength(3);
    expect(found[0]).toMatch(/^a\.json: differs from /);
    expect(found[1]).toMatch(/^more\/new\.json: in .* but not in the copy /);
    expect(found[2]).toMatch(/^extra\.json: in the copy .* but not in /);
  });
});
