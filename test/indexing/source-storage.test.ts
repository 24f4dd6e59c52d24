/**
 * The indexer reads its sources through the FileStorage (issue 24): the same tree, stored in local
 * files or in PostgreSQL, gives the same walk, the same bytes and the same index records when the
 * sync applies jobs — so a worker process in distributed mode indexes what any other process wrote.
 */
import { IndexStore } from '../../src/index/store.js';
import type { FileStorage } from '../../src/fs/storage.js';
import { readFileAt, walkFiles } from '../../src/indexing/source.js';
import { accountsWithFiles } from '../../src/indexing/reindex.js';
import { IndexSync } from '../../src/indexing/sync.js';
import { logger } from '../../src/log.js';
import { and, eq, subtree } from '../../src/policy/index.js';
import { indexedMessages, sessionReader } from '../../src/sessions/reader.js';
import { LocalFileStorage } from '../../src/storage/local-files.js';
import { SUMMARY_STATE_FILE } from '../../src/storage/names.js';
import { PgFileStorage } from '../../src/storage/pg/files.js';
import { createTestDatabase } from '../helpers/pg.js';
import { FALSE_FALSE } from '../helpers/index-fixture.js';
import { tempDir } from '../helpers/temp-dir.js';
import { HashEmbedder } from '../helpers/test-embedder.js';
import { canonicalUri } from '../../src/policy/index.js';

const A = 'acme';
const write = { mode: 'replace', maxBytes: 1 << 20 } as const;
const TREE: Record<string, string> = {
  'viking://resources/docs/guide.md': '# Guide\n\nHow to configure the gateway.',
  'viking://resources/docs/.hidden-notes.md': 'hidden but indexed',
  'viking://resources/docs/.guide.md.lock': 'internal',
  'viking://resources/docs/.vs-tmp-123-guide.md': 'internal',
  // A generated summary (its hash is in the folder's state) and a hand-written one (null there).
  'viking://resources/docs/.abstract.md': 'generated abstract',
  'viking://resources/docs/.overview.md': 'hand-written overview of the docs',
  [`viking://resources/docs/${SUMMARY_STATE_FILE}`]: JSON.stringify({
    documents: 2,
    '.abstract.md': 'a'.repeat(64),
    '.overview.md': null,
  }),
  "viking://resources/100%_it's/naïve 日本語.md": 'unicode and LIKE characters in the name',
  'viking://session/s1/.meta.json': '{}',
  'viking://session/s1/messages.jsonl': '',
  'viking://_system/tags.json': '{}',
};
const CONTENT = [
  "viking://resources/100%_it's/naïve 日本語.md",
  'viking://resources/docs/.hidden-notes.md',
  'viking://resources/docs/.overview.md',
  'viking://resources/docs/guide.md',
  'viking://session/s1/messages.jsonl',
];

interface Backend {
  files: FileStorage;
  close(): Promise<void>;
}

const backends: Array<[string, () => Promise<Backend>]> = [
  [
    'local files',
    () => {
      const dir = tempDir('vs-source-local-');
      return Promise.resolve({
        files: new LocalFileStorage(dir.path),
        close: () => Promise.resolve(dir.remove()),
      });
    },
  ],
  [
    'PostgreSQL',
    async () => {
      const db = await createTestDatabase();
      return { files: new PgFileStorage(db.pool), close: () => db.drop() };
    },
  ],
];

describe.each(backends)('the indexer reads through the file storage: %s', (_name, make) => {
  let backend: Backend;
  let files: FileStorage;
  beforeEach(async () => {
    backend = await make();
    files = backend.files;
    await files.createRoot(A);
    await files.createRoot('beta');
    for (const [uri, text] of Object.entries(TREE)) await files.write(A, uri, Buffer.from(text), write);
  });
  afterEach(() => backend.close());

  test('the walk finds exactly the content files; a file or a missing URI walks as itself or nothing', async () => {
    expect(await walkFiles(files, A, 'viking://')).toEqual(CONTENT);
    expect(await walkFiles(files, A, 'viking://resources/docs')).toEqual(CONTENT.slice(1, 4));
    expect(await walkFiles(files, A, 'viking://resources/docs/guide.md')).toEqual([
      'viking://resources/docs/guide.md',
    ]);
    expect(await walkFiles(files, A, 'viking://resources/nothing')).toEqual([]);
    expect(await walkFiles(files, 'beta', 'viking://')).toEqual([]);
    expect(await accountsWithFiles(files)).toEqual([A, 'beta']);
  });

  test('a file is read with its bytes and time; a folder or a missing file is null', async () => {
    const before = Date.now();
    await files.write(A, 'viking://resources/new.md', Buffer.from([0xe6, 0x97, 0xa5, 0]), write);
    const file = await readFileAt(files, A, 'viking://resources/new.md');
    expect(file?.bytes.equals(Buffer.from([0xe6, 0x97, 0xa5, 0]))).toBe(true);
    expect(file?.updated_at).toBeGreaterThanOrEqual(before - 1000);
    expect(file?.created_at).toBe(file?.updated_at);
    expect(await readFileAt(files, A, 'viking://resources/docs')).toBeNull();
    expect(await readFileAt(files, A, 'viking://resources/none.md')).toBeNull();
  });

  test('a sync of the whole account indexes what the storage holds, and a removal clears it', async () => {
    const dir = tempDir('vs-source-lance-');
    const embedder = new HashEmbedder();
    const store = await IndexStore.open({ uri: dir.path, embedder });
    try {
      const sync = new IndexSync({
        files,
        store,
        embedder,
        policyOf: () => Promise.resolve(FALSE_FALSE),
        messages: {
          message: () => Promise.resolve(null),
          messagesIn: (text, where) => indexedMessages(sessionReader(dir.path)).messagesIn(text, where),
        },
        log: logger,
      });
      await sync.apply([{ type: 'account', account: A, rebuild: true }]);
      const uris = async () =>
        [
          ...new Set((await store.scan(and(eq('account_id', A), subtree('viking://')))).map((r) => r.uri)),
        ].sort();
      // The hand-written overview is its folder's level-1 record; the generated abstract is not indexed.
      expect(await uris()).toEqual([
        "viking://resources/100%_it's/naïve 日本語.md",
        'viking://resources/docs',
        'viking://resources/docs/.hidden-notes.md',
        'viking://resources/docs/guide.md',
      ]);
      await files.remove(A, 'viking://resources/docs');
      await sync.apply([{ type: 'remove', account: A, uri: canonicalUri('viking://resources/docs') }]);
      expect(await uris()).toEqual(["viking://resources/100%_it's/naïve 日本語.md"]);
    } finally {
      await store.close();
      dir.remove();
    }
  });
});
