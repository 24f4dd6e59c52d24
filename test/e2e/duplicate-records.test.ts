/**
 * Records are unique by id: when one indexing batch builds the same record twice — a message's own
 * job and the commit that archived it (its archive's `messages.jsonl` yields the message again) —
 * the table holds it once and search returns it once, scored once. Driven through the real pipeline
 * (a gated embedder holds the worker so both jobs land in one batch), with the mirror on and off.
 */
import { and, eq, subtree } from '../../src/policy/index.js';
import { GatedEmbedder } from '../helpers/gated-embedder.js';
import { allHits, fullApp, searchResultOf, type FullApp } from '../helpers/full-app.js';

const MODES = [
  ['LanceDB only', '0'],
  ['with the memory mirror', '64'],
] as const;

describe.each(MODES)('%s', (_mode, SEARCH_MEMORY_MB) => {
  let t: FullApp;
  let gated: GatedEmbedder;

  beforeAll(async () => {
    gated = new GatedEmbedder();
    t = await fullApp({
      accounts: [{ account_id: 'acme', users: ['alice'] }],
      embedder: gated,
      env: { MAX_INDEX_LAG_S: '3600', SEARCH_MEMORY_MB },
    });
    await t.services.store.whenLoaded();
  });
  afterAll(async () => {
    gated.open('holdgate');
    await t.close();
  });

  test('a message added and committed within one batch is stored and found once', async () => {
    const alice = t.client({ account: 'acme', user: 'alice', agent: 'bot' });
    gated.close('holdgate');
    await alice
      .post('/api/v1/content/write')
      .send({ uri: 'viking://resources/hold.md', content: 'holdgate' })
      .expect(200);
    await gated.reached('holdgate');
    // The worker is busy with the held batch: the add and the commit queue up behind it together.
    const added = await alice
      .post('/api/v1/sessions/race/messages')
      .send({ role: 'user', content: 'quasarwhistle happened twice?' })
      .expect(200);
    expect(added.body).toMatchObject({ result: { message_count: 1 } });
    await alice.post('/api/v1/sessions/race/commit').send({}).expect(200);
    gated.open('holdgate');
    await t.root().post('/api/v1/system/wait').send({}).expect(200);

    const rows = await t.services.store.scan(and(eq('account_id', 'acme'), subtree('viking://session/race')));
    const messageRows = rows.filter((r) => r.message_id !== null);
    expect(messageRows).toHaveLength(1);
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);

    for (const mode of ['hybrid', 'fulltext', 'vector'] as const) {
      const result = searchResultOf(
        await alice.post('/api/v1/search/find').send({ query: 'quasarwhistle', mode, limit: 10 }),
      );
      const hits = allHits(result).filter((h) => h.message_id !== undefined);
      expect(hits).toHaveLength(1);
      const reason = { hybrid: 'vector+fulltext', fulltext: 'fulltext', vector: 'vector' }[mode];
      expect(hits[0]?.match_reason).toBe(reason);
      if (mode !== 'vector') expect(hits[0]?.score).toBeLessThanOrEqual(1);
    }
  });
});
