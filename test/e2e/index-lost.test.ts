/**
 * Issue 14, item 4: the LanceDB folder lost while the server runs, missing at start, or put back
 * older than it was. Readiness, status and search tell the truth (503 naming the cause, never a 500
 * or a 200 over a partial index), the index is rebuilt from the filesystem, and every acknowledged
 * write is searchable afterwards. A gated embedder holds the rebuild so its in-between state is seen.
 */
import { cpSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fullApp, searchUris, type Client, type FullApp } from '../helpers/full-app.js';
import { GatedEmbedder } from '../helpers/gated-embedder.js';

const GATE = 'gatedtoken';
const ACCOUNTS = [{ account_id: 'acme', users: ['alice'] }];

const aliceOf = (t: FullApp): Client =>
  t.client({ account: 'acme', user: 'alice', agent: 'bot', root: true });
const write = (client: Client, uri: string, content: string) =>
  client.post('/api/v1/content/write').send({ uri, content, wait: true }).expect(200);
const find = (client: Client, query: string) => searchUris(client, { query, mode: 'fulltext' });

/**
 * Asserts the in-between state: /ready, status and search all say the index is being rebuilt (of
 * both accounts on disk, `acme` and `default`; acme's job is held at the gate).
 */
async function expectRebuilding(t: FullApp, alice: Client): Promise<void> {
  const ready = await t.root().get('/ready');
  expect(ready.status).toBe(503);
  expect(ready.body).toMatchObject({ error: { details: { checks: { index: 'rebuilding' } } } });
  const status = await t.root().get('/api/v1/system/status').expect(200);
  expect(status.body).toMatchObject({
    result: { index: 'rebuilding', rebuild: { accounts_done: 0, accounts_left: 2 } },
  });
  const search = await alice.post('/api/v1/search/find').send({ query: 'alpha' });
  expect(search.status).toBe(503);
  expect(search.body).toMatchObject({
    error: {
      code: 'UNAVAILABLE',
      message: expect.stringContaining('being rebuilt') as unknown,
      details: { retry_after_s: 5 },
    },
  });
  expect(search.headers['retry-after']).toBe('5');
}

/** The file name without `.md`: each test file's content starts with it. */
const wordOf = (uri: string): string => uri.slice(uri.lastIndexOf('/') + 1, -'.md'.length);

async function expectRebuilt(t: FullApp, alice: Client, uris: readonly string[]): Promise<void> {
  await t.services.pipeline.waitIdle();
  const ready = await t.root().get('/ready');
  expect(ready.status).toBe(200);
  expect(ready.body).toMatchObject({ result: { checks: { index: 'ok', indexer: 'ok' } } });
  for (const uri of uris) expect(await find(alice, wordOf(uri))).toEqual([uri]);
  const status = await t.root().get('/api/v1/system/status').expect(200);
  expect(status.body).toMatchObject({ result: { index: 'ok' } });
  expect(status.body).not.toMatchObject({ result: { rebuild: expect.anything() as unknown } });
}

test('the LanceDB folder removed while running: 503s naming the cause, then rebuilt with every acknowledged write', async () => {
  const gated = new GatedEmbedder();
  const t = await fullApp({ accounts: ACCOUNTS, embedder: gated });
  try {
    const alice = aliceOf(t);
    await write(alice, 'viking://resources/before.md', `before ${GATE}`);
    expect(await find(alice, 'before')).toEqual(['viking://resources/before.md']);
    gated.close(GATE);

    rmSync(join(t.dataDir, 'lancedb'), { recursive: true, force: true });
    // Acknowledged while the index is gone: its job finds the table missing instead of re-creating it.
    const during = await alice
      .post('/api/v1/content/write')
      .send({ uri: 'viking://resources/during.md', content: 'during' });
    expect(during.status).toBe(200);
    await gated.reached(GATE);
    await expectRebuilding(t, alice);

    gated.open(GATE);
    await expectRebuilt(t, alice, ['viking://resources/before.md', 'viking://resources/during.md']);
    expect(existsSync(join(t.dataDir, 'lancedb/records.lance'))).toBe(true);
  } finally {
    gated.open(GATE);
    await t.close();
  }
});

// The query itself fails (LanceDB's files are gone): the failure makes the index probed at once.
test('with the mirror off, a search right after the folder is removed answers 503 naming the cause', async () => {
  const t = await fullApp({ accounts: ACCOUNTS, env: { SEARCH_MEMORY_MB: '0' } });
  try {
    const alice = aliceOf(t);
    await write(alice, 'viking://resources/before.md', 'before');
    expect(await find(alice, 'before')).toEqual(['viking://resources/before.md']);
    rmSync(join(t.dataDir, 'lancedb'), { recursive: true, force: true });
    const search = await alice.post('/api/v1/search/find').send({ query: 'before', mode: 'fulltext' });
    expect(search.status).toBe(503);
    expect(search.body).toMatchObject({
      error: { code: 'UNAVAILABLE', message: expect.stringContaining('being rebuilt') as unknown },
    });
    await t.services.pipeline.waitIdle();
    await expectRebuilt(t, alice, ['viking://resources/before.md']);
  } finally {
    await t.close();
  }
});

test('an index missing at start is rebuilt from the filesystem before searches are answered', async () => {
  const first = await fullApp({ accounts: ACCOUNTS });
  await write(aliceOf(first), 'viking://resources/kept.md', `kept ${GATE}`);
  await first.close({ keepData: true });
  rmSync(join(first.dataDir, 'lancedb'), { recursive: true, force: true });

  const gated = new GatedEmbedder();
  gated.close(GATE);
  const t = await fullApp({ dataDir: first.dataDir, embedder: gated });
  try {
    const alice = aliceOf(t);
    await gated.reached(GATE);
    await expectRebuilding(t, alice);
    gated.open(GATE);
    await expectRebuilt(t, alice, ['viking://resources/kept.md']);
  } finally {
    gated.open(GATE);
    await t.close();
  }
});

test('an index put back older than the last clean stop is behind and rebuilt', async () => {
  const first = await fullApp({ accounts: ACCOUNTS });
  await write(aliceOf(first), 'viking://resources/old.md', 'old');
  await first.close({ keepData: true });
  const lance = join(first.dataDir, 'lancedb');
  const copy = join(first.dataDir, 'lancedb-copy');
  cpSync(lance, copy, { recursive: true });

  const second = await fullApp({ dataDir: first.dataDir });
  await write(aliceOf(second), 'viking://resources/new.md', 'new');
  await second.close({ keepData: true });
  rmSync(lance, { recursive: true, force: true });
  cpSync(copy, lance, { recursive: true });

  const t = await fullApp({ dataDir: first.dataDir });
  try {
    await expectRebuilt(t, aliceOf(t), ['viking://resources/old.md', 'viking://resources/new.md']);
  } finally {
    await t.close();
  }
});
