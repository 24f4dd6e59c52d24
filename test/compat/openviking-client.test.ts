/**
 * Wire compatibility with OpenViking's HTTP clients: each test sends a request exactly as
 * OpenViking's Python client (openviking_cli/client/http.py) or its OpenClaw plugin
 * (examples/openclaw-plugin/client.ts) builds it, through the fully wired app, and reads the
 * response fields those clients read.
 */
import { z } from 'zod';
import { errorCodeOf, fullApp, type Client, type FullApp } from '../helpers/full-app.js';

/** The `result` of an envelope. */
const resultOf = (res: { body: unknown }): unknown =>
  z.object({ result: z.unknown() }).parse(res.body).result;

let t: FullApp;
let alice: Client;

beforeAll(async () => {
  t = await fullApp({ accounts: [{ account_id: 'acme', users: ['alice'] }] });
  alice = t.client({ account: 'acme', user: 'alice', agent: 'bot' });
});
afterAll(() => t.close());

describe('GET /api/v1/system/status (openviking/server/routers/system.py)', () => {
  test('reports the caller as `user`, which the OpenClaw plugin reads to build canonical roots', async () => {
    const res = await alice.get('/api/v1/system/status').expect(200);
    expect(resultOf(res)).toMatchObject({ initialized: true, user: 'alice' });
  });
});

describe('POST /api/v1/search/find (openviking/server/routers/search.py FindRequest)', () => {
  const uris = (res: { body: { result: Record<string, { uri: string }[]> } }) =>
    ['memories', 'resources', 'skills', 'sessions']
      .flatMap((g) => res.body.result[g] ?? [])
      .map((h) => h.uri);

  beforeAll(async () => {
    for (const name of ['one', 'two', 'three']) {
      await alice
        .post('/api/v1/content/write')
        .send({
          uri: `viking://resources/${name}/doc.md`,
          content: `compatword notes in ${name}`,
          wait: true,
        })
        .expect(200);
    }
  });

  test('node_limit overrides limit, as the client sends it', async () => {
    const res = await alice
      .post('/api/v1/search/find')
      .send({ query: 'compatword', limit: 10, node_limit: 1 })
      .expect(200);
    expect(uris(res)).toHaveLength(1);
  });

  test('target_uri may be a list of subtrees; an empty string or list means no target', async () => {
    const two = await alice
      .post('/api/v1/search/find')
      .send({ query: 'compatword', target_uri: ['viking://resources/one', 'viking://resources/two'] })
      .expect(200);
    expect(uris(two).sort()).toEqual(['viking://resources/one/doc.md', 'viking://resources/two/doc.md']);
    for (const target_uri of ['', [], ['']]) {
      const all = await alice
        .post('/api/v1/search/find')
        .send({ query: 'compatword', target_uri })
        .expect(200);
      expect(uris(all)).toHaveLength(3);
    }
  });

  test('every listed target is checked: one invisible target is 403, one malformed is 400', async () => {
    const hidden = await alice
      .post('/api/v1/search/find')
      .send({ query: 'compatword', target_uri: ['viking://resources/one', 'viking://user/bob'] });
    expect(hidden.status).toBe(403);
    expect(errorCodeOf(hidden)).toBe('PERMISSION_DENIED');
    const bad = await alice
      .post('/api/v1/search/find')
      .send({ query: 'compatword', target_uri: ['viking://resources/one', 'viking://tmp/x'] });
    expect(bad.status).toBe(400);
  });

  test('since/until accept relative durations (7d, 2h) and date-only bounds', async () => {
    const recent = await alice
      .post('/api/v1/search/find')
      .send({ query: 'compatword', since: '1h' })
      .expect(200);
    expect(uris(recent)).toHaveLength(3);
    const old = await alice
      .post('/api/v1/search/find')
      .send({ query: 'compatword', until: '1h' })
      .expect(200);
    expect(uris(old)).toHaveLength(0);
    // A date-only `until` is inclusive of the whole day.
    const today = new Date().toISOString().slice(0, 10);
    const byDay = await alice
      .post('/api/v1/search/find')
      .send({ query: 'compatword', until: today })
      .expect(200);
    expect(uris(byDay)).toHaveLength(3);
    const bad = await alice.post('/api/v1/search/find').send({ query: 'compatword', since: '7y' });
    expect(bad.status).toBe(400);
  });

  test('/search/search takes the same body plus session_id', async () => {
    const res = await alice
      .post('/api/v1/search/search')
      .send({ query: 'compatword', target_uri: '', session_id: null, node_limit: 2, telemetry: false })
      .expect(200);
    expect(uris(res)).toHaveLength(2);
  });
});
