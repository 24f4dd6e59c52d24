/**
 * An account deleted and created again under the same id (issue 22, defect 2): no record of the
 * earlier account may ever be returned to the new one, whatever the indexer's state — paused or
 * behind (its purge still queued), or in the middle of a batch that read the old files before the
 * delete — on both search paths (the in-memory mirror and LanceDB alone).
 */
import { GatedEmbedder } from '../helpers/gated-embedder.js';
import { fullApp, searchUris, type Client, type FullApp } from '../helpers/full-app.js';

const GATE = 'gatetokenqq';
const MODES = ['vector', 'fulltext', 'hybrid'] as const;

const write = (client: Client, uri: string, content: string, wait = true) =>
  client.post('/api/v1/content/write').send({ uri, content, wait }).expect(200);

/** Deletes `acme` and creates it again with admin `admin`; returns a client with the new admin's key. */
async function recreate(t: FullApp): Promise<Client> {
  await t.root().delete('/api/v1/admin/accounts/acme').expect(200);
  const created = await t
    .root()
    .post('/api/v1/admin/accounts')
    .send({ account_id: 'acme', admin_user_id: 'admin' })
    .expect(200);
  const { user_key } = (created.body as { result: { user_key: string } }).result;
  return t
    .root()
    .set('X-API-Key', user_key)
    .set('X-OpenViking-Account', 'acme')
    .set('X-OpenViking-User', 'admin');
}

/** URIs every search mode finds for `query`, one list per mode. */
async function findAll(client: Client, query: string): Promise<string[][]> {
  const found: string[][] = [];
  for (const mode of MODES) found.push(await searchUris(client, { query, mode, limit: 20 }));
  return found;
}

describe.each([
  ['with the memory mirror', '64'],
  ['with LanceDB alone', '0'],
])('%s', (_label, memory) => {
  test('a paused indexer: the new account finds nothing of the old one, before and after it catches up', async () => {
    const t = await fullApp({ accounts: [{ account_id: 'acme' }], env: { SEARCH_MEMORY_MB: memory } });
    try {
      const old = t.client({ account: 'acme', user: 'admin' });
      await write(old, 'viking://resources/plans/secret.md', 'zebracorp acquisition plan');
      await write(old, 'viking://user/memories/m.md', 'zebracorp private memory');
      expect((await findAll(old, 'zebracorp'))[1]).toHaveLength(2);

      const resume = await t.services.pipeline.pause();
      const admin = await recreate(t);
      expect(await findAll(admin, 'zebracorp')).toEqual([[], [], []]);

      resume();
      await write(admin, 'viking://resources/new.md', 'zebracorp fresh start');
      await t.services.pipeline.waitIdle();
      const fresh = ['viking://resources/new.md'];
      expect(await findAll(admin, 'zebracorp')).toEqual([fresh, fresh, fresh]);
    } finally {
      await t.close();
    }
  });

  test('a batch that read an old file before the delete cannot write it back for the new account', async () => {
    const gated = new GatedEmbedder();
    const t = await fullApp({
      accounts: [{ account_id: 'acme' }],
      env: { SEARCH_MEMORY_MB: memory },
      embedder: gated,
    });
    try {
      const old = t.client({ account: 'acme', user: 'admin' });
      gated.close(GATE);
      await write(old, 'viking://resources/late.md', `zebracorp late file ${GATE}`, false);
      await gated.reached(GATE);

      const admin = await recreate(t);
      // The batch in flight finishes; nothing after it runs (the purge job queued at creation waits).
      const paused = t.services.pipeline.pause();
      gated.open(GATE);
      const resume = await paused;
      expect(await findAll(admin, 'zebracorp')).toEqual([[], [], []]);
      resume();
    } finally {
      gated.open(GATE);
      await t.close();
    }
  });
});
