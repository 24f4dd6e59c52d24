/**
 * Adversarial headers, route paths and URIs through the real app (api_key mode, real keys): none of
 * them reaches another account, another user's or another agent's scope, and each is refused with
 * the right code before anything is read. Regression cover for the security review.
 */
import request from 'supertest';
import { z } from 'zod';
import { errorCodeOf, fullApp, ROOT_KEY, type FullApp } from '../helpers/full-app.js';

let w: FullApp;
const key = (id: string) => w.keys.get(id) as string;
const SECRET = 'viking://user/alice/memories/secret.md';

beforeAll(async () => {
  w = await fullApp({
    accounts: [
      { account_id: 'acme', users: ['alice', 'bob', 'gone'] },
      {
        account_id: 'iso',
        users: ['alice'],
        isolate_user_scope_by_agent: true,
        isolate_agent_scope_by_user: true,
      },
      { account_id: 'other', users: ['alice'] },
    ],
  });
  const alice = w.client({ account: 'acme', user: 'alice' });
  await alice
    .post('/api/v1/content/write')
    .send({ uri: 'viking://user/memories/secret.md', content: 'secret' });
  const isoBot = w.client({ account: 'iso', user: 'alice', agent: 'bot' });
  await isoBot
    .post('/api/v1/content/write')
    .send({ uri: 'viking://user/memories/m.md', content: 'bot only' });
  await w.root().delete('/api/v1/admin/accounts/acme/users/gone');
});
afterAll(async () => w.close());

const ls = (uri: string) => `/api/v1/fs/ls?uri=${encodeURIComponent(uri)}`;

test('identity headers: duplicates, case, look-alikes and lengths are refused or act as the key owner', async () => {
  const bob = () => request(w.app).get(ls('viking://user')).set('X-API-Key', key('acme/bob'));
  const cases: [string, Record<string, string | string[]>, string][] = [
    ['two account headers', { 'X-OpenViking-Account': ['acme', 'other'] }, 'INVALID_ARGUMENT'],
    ['two user headers', { 'X-OpenViking-User': ['bob', 'alice'] }, 'INVALID_ARGUMENT'],
    ['upper-case user', { 'X-OpenViking-User': 'Alice' }, 'PERMISSION_DENIED'],
    ['look-alike user', { 'X-OpenViking-User': 'alic\u00e9' }, 'INVALID_ARGUMENT'],
    ['another account', { 'X-OpenViking-Account': 'other' }, 'PERMISSION_DENIED'],
    ['unknown account', { 'X-OpenViking-Account': 'nope' }, 'PERMISSION_DENIED'],
    ['reserved agent', { 'X-OpenViking-Agent': 'memories' }, 'INVALID_ARGUMENT'],
    ['long user', { 'X-OpenViking-User': 'a'.repeat(129) }, 'INVALID_ARGUMENT'],
  ];
  for (const [name, headers, code] of cases) {
    expect([name, errorCodeOf(await bob().set(headers))]).toEqual([name, code]);
  }
  const own = await bob().set('X-OpenViking-User', 'bob');
  expect(own.body).toMatchObject({ result: [{ uri: 'viking://user/bob' }] });
});

test('keys: two keys, deleted users, regenerated keys and the X-API-Key precedence', async () => {
  const get = () => request(w.app).get(ls('viking://user'));
  expect(errorCodeOf(await get().set({ 'X-API-Key': [key('acme/bob'), key('acme/admin')] }))).toBe(
    'UNAUTHENTICATED',
  );
  expect(errorCodeOf(await get().set('X-API-Key', key('acme/gone')))).toBe('UNAUTHENTICATED');
  // X-API-Key (bob) wins over a root Bearer: bob may not name another account.
  const mixed = get()
    .set('X-API-Key', key('acme/bob'))
    .set('Authorization', `Bearer ${ROOT_KEY}`)
    .set('X-OpenViking-Account', 'other')
    .set('X-OpenViking-User', 'alice');
  expect(errorCodeOf(await mixed)).toBe('PERMISSION_DENIED');
  const admin = () => get().set('X-API-Key', key('acme/admin'));
  expect(errorCodeOf(await admin().set('X-OpenViking-User', 'gone'))).toBe('NOT_FOUND');
  expect(
    errorCodeOf(await admin().set('X-OpenViking-Account', 'other').set('X-OpenViking-User', 'alice')),
  ).toBe('PERMISSION_DENIED');
  const regen = await w.root().post('/api/v1/admin/accounts/other/users/alice/key');
  const fresh = z.object({ result: z.object({ user_key: z.string() }) }).parse(regen.body).result.user_key;
  expect(errorCodeOf(await get().set('X-API-Key', key('other/alice')))).toBe('UNAUTHENTICATED');
  expect((await get().set('X-API-Key', fresh)).status).toBe(200);
});

test('admin routes are reached in any spelling only with the right role', async () => {
  const bob = (path: string) => request(w.app).get(path).set('X-API-Key', key('acme/bob'));
  expect(errorCodeOf(await bob('/API/V1/ADMIN/accounts'))).toBe('PERMISSION_DENIED');
  expect(errorCodeOf(await bob('/api/v1/admin/accounts/'))).toBe('PERMISSION_DENIED');
  expect(errorCodeOf(await bob('/api/v1/Admin/accounts/acme/users'))).toBe('PERMISSION_DENIED');
  expect(errorCodeOf(await bob('/api/v1/%61dmin/accounts'))).toBe('NOT_FOUND');
  expect(errorCodeOf(await bob('/api/v1//admin/accounts'))).toBe('NOT_FOUND');
  const admin = (path: string) => request(w.app).get(path).set('X-API-Key', key('acme/admin'));
  expect(errorCodeOf(await admin('/api/v1/admin/accounts/other/users'))).toBe('PERMISSION_DENIED');
  expect(errorCodeOf(await admin('/api/v1/admin/accounts/..%2Fother/users'))).toBe('INVALID_ARGUMENT');
});

test('dot segments, encodings and arrays in URIs never reach another scope', async () => {
  const bob = w.client({ account: 'acme', user: 'bob' });
  const reads = [
    ['viking://user/bob/../alice/memories/secret.md', 'INVALID_URI'],
    // No percent-decoding: `%2e%2e` is an ordinary (missing) name inside bob's own scope.
    ['viking://user/bob/%2e%2e/alice/memories/secret.md', 'NOT_FOUND'],
    ['viking://user/alice%2Fmemories/secret.md', 'INVALID_URI'],
    ['viking://user//alice///memories/secret.md/', 'PERMISSION_DENIED'],
    ['/user/alice/memories/secret.md', 'PERMISSION_DENIED'],
    ['viking://user/alice/memories/missing.md', 'PERMISSION_DENIED'],
    ['viking://_system/users.json', 'INVALID_URI'],
    ['VIKING://user/alice/memories/secret.md', 'INVALID_URI'],
  ] as const;
  for (const [uri, code] of reads) {
    const res = await bob.get(`/api/v1/content/read?uri=${uri.replaceAll('%', '%25')}`);
    expect([uri, errorCodeOf(res)]).toEqual([uri, code]);
  }
  const array = await bob.get(`/api/v1/content/read?uri=viking://user/bob&uri=${SECRET}`);
  expect(errorCodeOf(array)).toBe('INVALID_ARGUMENT');
  for (const [route, body] of [
    ['/api/v1/search/grep', { uri: 'viking://user/alice', pattern: 'secret' }],
    ['/api/v1/search/glob', { uri: 'viking://user/alice', pattern: '**' }],
    ['/api/v1/search/find', { query: 'secret', target_uri: 'viking://user/alice' }],
    ['/api/v1/fs/mv', { from_uri: 'viking://user/memories', to_uri: 'viking://user/alice/stolen' }],
    ['/api/v1/fs/mkdir', { uri: 'viking://user/alice/planted' }],
  ] as const) {
    expect([route, errorCodeOf(await bob.post(route).send(body))]).toEqual([route, 'PERMISSION_DENIED']);
  }
  expect(errorCodeOf(await bob.get('/api/v1/sessions/..%2F..%2Fuser'))).toBe('INVALID_ARGUMENT');
});

test('another agent of the same user cannot reach an isolated scope by URI, listing or move', async () => {
  const evil = w.client({ account: 'iso', user: 'alice', agent: 'evil' });
  const mine = 'viking://user/alice/agent/bot/memories/m.md';
  expect(errorCodeOf(await evil.get(`/api/v1/content/read?uri=${mine}`))).toBe('PERMISSION_DENIED');
  const moved = await evil
    .post('/api/v1/fs/mv')
    .send({ from_uri: mine, to_uri: 'viking://user/memories/m.md' });
  expect(errorCodeOf(moved)).toBe('PERMISSION_DENIED');
  const listed = await evil.get(ls('viking://user/alice'));
  expect(JSON.stringify(listed.body)).not.toContain('/bot');
  expect(errorCodeOf(await evil.get(ls('viking://user/alice/agent')))).toBe('INVALID_URI');
});

test('a USER key cannot name the actor of a message in any spelling', async () => {
  const bob = w.client({ account: 'acme', user: 'bob' });
  const send = (body: unknown) => bob.post('/api/v1/sessions/s1/messages').send(body as object);
  expect(errorCodeOf(await send({ role: 'user', role_id: 'alice', content: 'x' }))).toBe('INVALID_ARGUMENT');
  expect(errorCodeOf(await send({ role: 'user', role_id: null, content: 'x' }))).toBe('INVALID_ARGUMENT');
  await bob
    .post('/api/v1/sessions/s1/messages')
    .set('Content-Type', 'application/json')
    .send('{"role":"user","content":"x","__proto__":{"role_id":"alice"}}');
  await send({ role: 'user', ROLE_ID: 'alice', content: 'x' });
  await send({ role: 'user', parts: [{ type: 'text', text: 'x', role_id: 'alice' }] });
  const context = await bob.get('/api/v1/sessions/s1/context');
  const ids = z
    .object({ result: z.object({ messages: z.array(z.object({ role_id: z.string().nullable() })) }) })
    .parse(context.body)
    .result.messages.map((m) => m.role_id);
  expect(ids).toEqual(['bob', 'bob', 'bob']);
});
