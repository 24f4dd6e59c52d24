/** SPEC 5: authentication and effective identity per role and mode, through the real app. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import {
  ROOT_KEY,
  at,
  expectErrorEnvelope,
  keyOf,
  makeApp,
  removeDir,
  resultOf,
  type TestApp,
} from '../helpers/http-app.js';

const WHOAMI = '/api/v1/probe/whoami';

interface Keys {
  alice: string; // ADMIN of acme
  bob: string; // USER of acme
  zed: string; // ADMIN of other
}

async function setUp(t: TestApp): Promise<Keys> {
  const admin = (path: string, body: object) =>
    request(t.app).post(`/api/v1/admin${path}`).set('X-API-Key', ROOT_KEY).send(body).expect(200);
  const acme = await admin('/accounts', {
    account_id: 'acme',
    admin_user_id: 'alice',
    isolate_user_scope_by_agent: true,
  });
  const bob = await admin('/accounts/acme/users', { user_id: 'bob' });
  const other = await admin('/accounts', { account_id: 'other', admin_user_id: 'zed' });
  return { alice: keyOf(acme), bob: keyOf(bob), zed: keyOf(other) };
}

describe('api_key mode', () => {
  let t: TestApp;
  let keys: Keys;
  beforeAll(async () => {
    t = await makeApp();
    keys = await setUp(t);
  });
  afterAll(() => removeDir(t.dataDir));

  const whoami = (headers: Record<string, string>) => request(t.app).get(WHOAMI).set(headers);

  describe('keys', () => {
    test.each([
      ['no key', {}],
      ['an unknown key', { 'X-API-Key': 'f'.repeat(64) }],
      ['a key that is almost the root key', { 'X-API-Key': `${ROOT_KEY}x` }],
      ['a non-Bearer Authorization', { Authorization: `Basic ${ROOT_KEY}` }],
      ['an empty X-API-Key alone', { 'X-API-Key': '' }],
    ])('%s → 401', async (_name, headers) => {
      const res = await whoami(headers).expect(401);
      expectErrorEnvelope(res.body, 'UNAUTHENTICATED');
    });

    test('Authorization: Bearer works, scheme case-insensitive', async () => {
      await whoami({ Authorization: `Bearer ${keys.bob}` }).expect(200);
      await whoami({ Authorization: `bearer ${keys.bob}` }).expect(200);
    });

    test('X-API-Key wins over Bearer; an empty X-API-Key falls through', async () => {
      await whoami({ 'X-API-Key': keys.bob, Authorization: 'Bearer wrong' }).expect(200);
      await whoami({ 'X-API-Key': 'wrong', Authorization: `Bearer ${keys.bob}` }).expect(401);
      await whoami({ 'X-API-Key': '', Authorization: `Bearer ${keys.bob}` }).expect(200);
    });

    test('user keys are 64 lowercase hex characters', () => {
      for (const key of Object.values(keys)) expect(key).toMatch(/^[0-9a-f]{64}$/);
    });
  });

  describe('ROOT', () => {
    const rootAs = (account?: string, user?: string, agent?: string) => {
      const headers: Record<string, string> = { 'X-API-Key': ROOT_KEY };
      if (account !== undefined) headers['X-OpenViking-Account'] = account;
      if (user !== undefined) headers['X-OpenViking-User'] = user;
      if (agent !== undefined) headers['X-OpenViking-Agent'] = agent;
      return whoami(headers);
    };

    test('must send account and user headers on tenant routes', async () => {
      expectErrorEnvelope((await rootAs().expect(400)).body, 'INVALID_ARGUMENT');
      expectErrorEnvelope((await rootAs('acme').expect(400)).body, 'INVALID_ARGUMENT');
      expectErrorEnvelope((await rootAs(undefined, 'alice').expect(400)).body, 'INVALID_ARGUMENT');
    });

    test('acts in the named account with the account policy; agent defaults to `default`', async () => {
      const res = await rootAs('acme', 'carol').expect(200);
      expect(resultOf(res)).toEqual({
        role: 'root',
        effective: { account_id: 'acme', user_id: 'carol', agent_id: 'default' },
        policy: { isolate_user_scope_by_agent: true, isolate_agent_scope_by_user: false },
      });
    });

    test('an unknown account → 404', async () => {
      expectErrorEnvelope((await rootAs('ghost', 'alice').expect(404)).body, 'NOT_FOUND');
    });

    test.each([
      ['account', ['a/b', 'alice', 'bot']],
      ['account with space', ['a b', 'alice', 'bot']],
      ['user', ['acme', 'al%2Fice', 'bot']],
      ['reserved user', ['acme', 'memories', 'bot']],
      ['long agent', ['acme', 'alice', 'a'.repeat(129)]],
      ['reserved agent', ['acme', 'alice', 'skills']],
      ['reserved agent memories', ['acme', 'alice', 'memories']],
    ])('invalid %s header → 400', async (_name, [account, user, agent]) => {
      expectErrorEnvelope((await rootAs(account, user, agent).expect(400)).body, 'INVALID_ARGUMENT');
    });

    test('needs no identity headers on admin and system routes', async () => {
      await request(t.app).get('/api/v1/admin/accounts').set('X-API-Key', ROOT_KEY).expect(200);
      await request(t.app).get('/api/v1/system/status').set('X-API-Key', ROOT_KEY).expect(200);
    });
  });

  describe('ADMIN key', () => {
    test('defaults to its own account and user', async () => {
      const res = await whoami({ 'X-API-Key': keys.alice }).expect(200);
      expect(at(res, 'role')).toBe('admin');
      expect(at(res, 'effective')).toEqual({
        account_id: 'acme',
        user_id: 'alice',
        agent_id: 'default',
      });
    });

    test('another account header → 403, even an unknown one', async () => {
      for (const account of ['other', 'ghost']) {
        const res = await whoami({ 'X-API-Key': keys.alice, 'X-OpenViking-Account': account }).expect(403);
        expectErrorEnvelope(res.body, 'PERMISSION_DENIED');
      }
    });

    test('may impersonate a registered user of its account, with any agent', async () => {
      const res = await whoami({
        'X-API-Key': keys.alice,
        'X-OpenViking-Account': 'acme',
        'X-OpenViking-User': 'bob',
        'X-OpenViking-Agent': 'bot',
      }).expect(200);
      expect(at(res, 'effective')).toEqual({ account_id: 'acme', user_id: 'bob', agent_id: 'bot' });
      expect(at(res, 'role')).toBe('admin');
    });

    test('an unknown user header → 404', async () => {
      const res = await whoami({ 'X-API-Key': keys.alice, 'X-OpenViking-User': 'ghost' }).expect(404);
      expectErrorEnvelope(res.body, 'NOT_FOUND');
    });
  });

  describe('USER key', () => {
    test('runs as itself with the account policy, any agent', async () => {
      const res = await whoami({ 'X-API-Key': keys.bob, 'X-OpenViking-Agent': 'helper-1' }).expect(200);
      expect(resultOf(res)).toEqual({
        role: 'user',
        effective: { account_id: 'acme', user_id: 'bob', agent_id: 'helper-1' },
        policy: { isolate_user_scope_by_agent: true, isolate_agent_scope_by_user: false },
      });
    });

    test('its own account and user named explicitly are fine', async () => {
      await whoami({
        'X-API-Key': keys.bob,
        'X-OpenViking-Account': 'acme',
        'X-OpenViking-User': 'bob',
      }).expect(200);
    });

    test.each([
      ['another account', { 'X-OpenViking-Account': 'other' }],
      ['another user', { 'X-OpenViking-User': 'alice' }],
      ['an unregistered user', { 'X-OpenViking-User': 'ghost' }],
    ])('%s → 403', async (_name, headers) => {
      const res = await whoami({ 'X-API-Key': keys.bob, ...headers }).expect(403);
      expectErrorEnvelope(res.body, 'PERMISSION_DENIED');
    });

    describe('X-OpenViking-Actor-Peer (OpenViking 0.4 clients)', () => {
      const agentOf = async (headers: Record<string, string>) =>
        (
          resultOf(await whoami({ 'X-API-Key': keys.bob, ...headers }).expect(200)) as {
            effective: { agent_id: string };
          }
        ).effective.agent_id;

      test('is the agent when X-OpenViking-Agent is absent', async () => {
        expect(await agentOf({ 'X-OpenViking-Actor-Peer': 'bot1' })).toBe('bot1');
        expect(await agentOf({})).toBe('default');
      });

      test('agrees with X-OpenViking-Agent or is refused', async () => {
        const same = { 'X-OpenViking-Agent': 'bot1', 'X-OpenViking-Actor-Peer': 'bot1' };
        expect(await agentOf(same)).toBe('bot1');
        const res = await whoami({
          'X-API-Key': keys.bob,
          'X-OpenViking-Agent': 'bot1',
          'X-OpenViking-Actor-Peer': 'bot2',
        }).expect(400);
        expectErrorEnvelope(res.body, 'INVALID_ARGUMENT');
      });

      test.each(['bad id', 'skills', 'a/b', 'x'.repeat(129)])(
        'follows the agent id rules: %j → 400',
        async (peer) => {
          const res = await whoami({ 'X-API-Key': keys.bob, 'X-OpenViking-Actor-Peer': peer }).expect(400);
          expect(expectErrorEnvelope(res.body, 'INVALID_ARGUMENT').message).toMatch(
            /X-OpenViking-Actor-Peer/,
          );
        },
      );
    });

    test('the system status is open to a USER key', async () => {
      await request(t.app).get('/api/v1/system/status').set('X-API-Key', keys.bob).expect(200);
    });
  });

  test('onContext runs for tenant routes only, with the resolved context', async () => {
    t.contexts.length = 0;
    await whoami({ 'X-API-Key': keys.zed, 'X-OpenViking-Agent': 'a1' }).expect(200);
    await request(t.app).get('/api/v1/system/status').set('X-API-Key', keys.zed).expect(200);
    await request(t.app).get('/api/v1/admin/accounts/other').set('X-API-Key', keys.zed).expect(200);
    expect(t.contexts).toEqual([
      {
        role: 'admin',
        effective: { account_id: 'other', user_id: 'zed', agent_id: 'a1' },
        policy: { isolate_user_scope_by_agent: false, isolate_agent_scope_by_user: false },
      },
    ]);
  });

  test('a failing request never reaches onContext', async () => {
    t.contexts.length = 0;
    await whoami({ 'X-API-Key': keys.bob, 'X-OpenViking-User': 'alice' }).expect(403);
    await whoami({}).expect(401);
    expect(t.contexts).toEqual([]);
  });
});

describe('trusted mode', () => {
  test('without a root key: identity from headers, role user, admin API 403', async () => {
    const t = await makeApp({ env: { AUTH_MODE: 'trusted', ROOT_API_KEY: '' } });
    expect(t.config.authMode).toBe('trusted');
    const as = (headers: Record<string, string>) => request(t.app).get(WHOAMI).set(headers);
    expectErrorEnvelope((await as({}).expect(400)).body, 'INVALID_ARGUMENT');
    expectErrorEnvelope((await as({ 'X-OpenViking-Account': 'acme' }).expect(400)).body, 'INVALID_ARGUMENT');
    expectErrorEnvelope((await as({ 'X-OpenViking-User': 'u' }).expect(400)).body, 'INVALID_ARGUMENT');
    await as({
      'X-OpenViking-Account': 'acme',
      'X-OpenViking-User': 'u',
      'X-OpenViking-Agent': 'skills',
    }).expect(400);
    const res = await as({ 'X-OpenViking-Account': 'acme', 'X-OpenViking-User': 'u' }).expect(200);
    expect(resultOf(res)).toEqual({
      role: 'user',
      effective: { account_id: 'acme', user_id: 'u', agent_id: 'default' },
      policy: { isolate_user_scope_by_agent: false, isolate_agent_scope_by_user: false },
    });
    // No registry: the account's scope folders appear on first use.
    for (const scope of ['resources', 'user', 'agent', 'session']) {
      expect(existsSync(join(t.dataDir, 'fs', 'acme', scope))).toBe(true);
    }
    const admin = await request(t.app).get('/api/v1/admin/accounts').expect(403);
    expectErrorEnvelope(admin.body, 'PERMISSION_DENIED');
    await removeDir(t.dataDir);
  });

  test('with a root key every request must carry it', async () => {
    const t = await makeApp({ env: { AUTH_MODE: 'trusted' } });
    const ids = { 'X-OpenViking-Account': 'acme', 'X-OpenViking-User': 'u' };
    expectErrorEnvelope((await request(t.app).get(WHOAMI).set(ids).expect(401)).body, 'UNAUTHENTICATED');
    await request(t.app)
      .get(WHOAMI)
      .set({ ...ids, 'X-API-Key': 'wrong' })
      .expect(401);
    await request(t.app).get('/api/v1/system/status').set(ids).expect(401);
    const res = await request(t.app)
      .get(WHOAMI)
      .set({ ...ids, Authorization: `Bearer ${ROOT_KEY}` })
      .expect(200);
    expect(at(res, 'role')).toBe('user');
    await request(t.app).get('/api/v1/admin/accounts').set('X-API-Key', ROOT_KEY).expect(403);
    await removeDir(t.dataDir);
  });
});

describe('dev mode (api_key without a root key)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await makeApp({ env: { ROOT_API_KEY: '' } });
  });
  afterAll(() => removeDir(t.dataDir));

  test('every request is ROOT as default/default/default without headers', async () => {
    expect(t.config.authMode).toBe('dev');
    const res = await request(t.app).get(WHOAMI).expect(200);
    expect(resultOf(res)).toEqual({
      role: 'root',
      effective: { account_id: 'default', user_id: 'default', agent_id: 'default' },
      policy: { isolate_user_scope_by_agent: false, isolate_agent_scope_by_user: false },
    });
  });

  test('identity comes from the headers when given, still validated', async () => {
    const res = await request(t.app)
      .get(WHOAMI)
      .set({ 'X-OpenViking-Account': 'team', 'X-OpenViking-User': 'me', 'X-OpenViking-Agent': 'bot' })
      .expect(200);
    expect(at(res, 'effective')).toEqual({ account_id: 'team', user_id: 'me', agent_id: 'bot' });
    await request(t.app).get(WHOAMI).set('X-OpenViking-Account', '../etc').expect(400);
  });

  test('the admin API answers 403', async () => {
    const res = await request(t.app)
      .post('/api/v1/admin/accounts')
      .send({ account_id: 'x', admin_user_id: 'y' })
      .expect(403);
    expectErrorEnvelope(res.body, 'PERMISSION_DENIED');
  });
});
