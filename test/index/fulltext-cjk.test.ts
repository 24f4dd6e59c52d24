/**
 * Full-text search over Chinese, Japanese and Korean text, and English ranking beside it, on both
 * full-text paths: LanceDB's index (no mirror) and the in-memory BM25 index (mirror loaded). Also the
 * mirror loaded from a table written earlier, which reads the stored searchable text back.
 */
import { fileRecords, type IndexRecord } from '../../src/indexing/records.js';
import { IndexStore } from '../../src/index/store.js';
import { eq, type NamespacePolicy } from '../../src/policy/index.js';
import { HashEmbedder } from '../helpers/test-embedder.js';
import { tempDir } from '../helpers/temp-dir.js';

const P: NamespacePolicy = { isolate_user_scope_by_agent: false, isolate_agent_scope_by_user: false };
const embedder = new HashEmbedder(16);
const times = { created_at: 1000, updated_at: 2000 };

const DOCS: Record<string, string> = {
  zh: 'OAuth认证相关内容。',
  ja: '東京のサーバーでログイン認証を設定します',
  ko: '한국어 문서: 인증서버를 구성합니다',
  cat3: 'cat cat cat: notes about the cat',
  cat1: 'a cat once visited the office',
  category: 'the category of concatenated categories',
  dog: 'dogs and more dogs',
};

function records(): IndexRecord[] {
  return Object.entries(DOCS).flatMap(([name, text]) =>
    fileRecords('acme', `viking://resources/${name}.md`, text, P, times).map((d) => ({
      ...d,
      vector: embedder.vector(d.text),
    })),
  );
}

const MODES = [
  ['LanceDB full-text index', 0],
  ['in-memory full-text index', 64 * 2 ** 20],
] as const;

describe.each(MODES)('%s', (_mode, memoryBudgetBytes) => {
  const dir = tempDir('vs-cjk-');
  let store: IndexStore;
  const names = async (query: string) =>
    (await store.fullTextSearch(query, eq('account_id', 'acme'), 10)).map((r) =>
      r.uri.replace(/^viking:\/\/resources\/(.*)\.md$/, '$1'),
    );

  beforeAll(async () => {
    // Written by one store, searched through a second one: the mirror loads the stored text back.
    const writer = await IndexStore.open({ uri: dir.path, embedder });
    await writer.upsert(records());
    await writer.close();
    store = await IndexStore.open({ uri: dir.path, embedder, memoryBudgetBytes });
    await store.whenLoaded();
    expect(store.memoryStatus()).toMatchObject({ state: memoryBudgetBytes > 0 ? 'ready' : 'off' });
  });
  afterAll(async () => {
    await store.close();
    dir.remove();
  });

  test.each([
    ['认证', 'zh'],
    ['内容', 'zh'],
    ['认证相关', 'zh'],
    ['OAuth', 'zh'],
    ['oauth认证', 'zh'],
    ['認証', 'ja'],
    ['ログイン', 'ja'],
    ['サーバー', 'ja'],
    ['東京', 'ja'],
    ['인증서버', 'ko'],
    ['인증', 'ko'],
    ['문서', 'ko'],
  ])('the word %j is found in %s text', async (query, doc) => {
    expect(await names(query)).toEqual([doc]);
  });

  test('English ranking: more occurrences rank first, and a word never matches inside another word', async () => {
    expect(await names('cat')).toEqual(['cat3', 'cat1']);
    expect(await names('category')).toEqual(['category']);
    expect(await names('dogs')).toEqual(['dog']);
  });

  test('CJK words not in the text are not found', async () => {
    expect(await names('内认')).toEqual([]);
    expect(await names('大阪')).toEqual([]);
  });
});
