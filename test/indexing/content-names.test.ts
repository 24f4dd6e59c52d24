/**
 * One rule for what on disk is content (storage/names.ts): the filesystem lists exactly the files
 * the indexer would index, plus session bookkeeping as hidden files; internal files (temporary
 * files, lock files, `_system`) are neither listed nor indexed.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { walkFiles } from '../../src/indexing/source.js';
import { LocalFileStorage } from '../../src/storage/local-files.js';
import { isContentFileUri, isInternalName } from '../../src/storage/names.js';
import { pathOfUri } from '../../src/storage/paths.js';
import { createTestFs, ctxOf, type TestFs } from '../helpers/vfs.js';

let fs: TestFs;
beforeAll(async () => {
  fs = await createTestFs();
});
afterAll(() => fs.cleanup());

const ACCOUNT = 'acme';
const FILES = [
  'viking://resources/docs/guide.md',
  'viking://resources/docs/.hidden-notes.md',
  'viking://resources/docs/.guide.md.lock',
  'viking://resources/docs/.vs-tmp-123-guide.md',
  'viking://session/s1/.meta.json',
  'viking://session/s1/.messages.jsonl.lock',
  'viking://session/s1/messages.jsonl',
];

async function place(uri: string): Promise<void> {
  const path = pathOfUri(fs.dataDir, ACCOUNT, uri);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, uri.endsWith('.json') ? '{}' : 'text');
}

test('the names rule: internal names, session bookkeeping, content', () => {
  expect(isInternalName('.guide.md.lock', false)).toBe(true);
  expect(isInternalName('_system', true)).toBe(true);
  expect(isInternalName('_system', false)).toBe(false);
  expect(isContentFileUri('viking://session/s1/.meta.json')).toBe(false);
  expect(isContentFileUri('viking://resources/.meta.json')).toBe(true);
  expect(isContentFileUri('viking://resources/docs/.guide.md.lock')).toBe(false);
  expect(isContentFileUri('viking://resources/docs/.hidden-notes.md')).toBe(true);
});

test('the indexer walks exactly the content files; the listing shows them and session bookkeeping', async () => {
  await fs.vfs.initAccount(ACCOUNT);
  for (const uri of FILES) await place(uri);
  const indexed = await walkFiles(new LocalFileStorage(fs.dataDir), ACCOUNT, 'viking://');
  expect(indexed.sort()).toEqual([
    'viking://resources/docs/.hidden-notes.md',
    'viking://resources/docs/guide.md',
    'viking://session/s1/messages.jsonl',
  ]);
  const root = ctxOf('root', 'admin', 'bot', undefined, ACCOUNT);
  const listed = (await fs.vfs.ls(root, 'viking://', { recursive: true, showAllHidden: true, simple: false }))
    .filter((e) => !e.isDir)
    .map((e) => e.uri)
    .filter((uri) => FILES.includes(uri))
    .sort();
  expect(listed).toEqual([...indexed, 'viking://session/s1/.meta.json'].sort());
});
