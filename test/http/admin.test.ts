/** SPEC 6: the admin API — permissions, validation before writes, persistence, restart and concurrency. */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
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

const ADMIN = '/api/v1/admin';

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

describe('admin API', () => {
  let t: TestApp;
  let aliceKey: string; // ADMIN of acme
  let bobKey: string; // USER of acme
  let zedKey: string; // ADMIN of other

  const post = (path: string, key: string, body: object = {}) =>
    request(t.app).post(`${ADMIN}${path}`).set('X-API-Key', key).send(body);
  const get = (path: string, key: string) => request(t.app).get(`${ADMIN}${path}`).set('X-API-Key', key);
  const del = (path: string, key: string) => request(t.app).delete(`${ADMIN}${path}`).set('X-API-Key', key);
  const whoami = (key: string) => request(t.app).get('/api/v1/probe/whoami').set('X-API-Key', key);

  beforeAll(async () => {
    t = await makeApp();
    const acme = await post('/accounts', ROOT_KEY, {
      account_id: 'acme',
      admin_user_id: 'alice',
      isolate_agent_scope_by_user: true,
    }).expect(200);
    aliceKey = keyOf(acme);
    bobKey = keyOf(await post('/accounts/acme/users', aliceKey, { user_id: 'bob' }).expect(200));
    zedKey = keyOf(
      await post('/accounts', ROOT_KEY, { account_id: 'other', admin_user_id: 'zed' }).expect(200),
    );
  });
  afterAll(() => removeDir(t.dataDir));

  describe('accounts', () => {
    test('creation returns the admin key once and the policy; files and folders per SPEC', async () => {
      const res = await post('/accounts', ROOT_KEY, { account_id: 'newco', admin_user_id: 'ann' }).expect(
        200,
      );
      expect(res.body).toEqual({
        status: 'ok',
        error: null,
        result: {
          account_id: 'newco',
          admin_user_id: 'ann',
          user_key: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown,
          isolate_user_scope_by_agent: false,
          isolate_agent_scope_by_user: false,
        },
      });
      const setting = JSON.parse(
        await readFile(join(t.dataDir, 'fs/acme/_system/setting.json'), 'utf8'),
      ) as unknown;
      expect(setting).toEqual({
        namespace: { isolate_user_scope_by_agent: false, isolate_agent_scope_by_user: true },
      });
      for (const scope of ['resources', 'user', 'agent', 'session']) {
        expect(existsSync(join(t.dataDir, 'fs/newco', scope))).toBe(true);
      }
    });

    test('duplicate → 409 ALREADY_EXISTS', async () => {
      const res = await post('/accounts', ROOT_KEY, { account_id: 'acme', admin_user_id: 'x' }).expect(409);
      expectErrorEnvelope(res.body, 'ALREADY_EXISTS');
      await post('/accounts', ROOT_KEY, { account_id: 'default', admin_user_id: 'x' }).expect(409);
    });

    test.each([
      ['bad account id', { account_id: 'a/b', admin_user_id: 'x' }, 'bad1'],
      ['reserved admin id', { account_id: 'bad2', admin_user_id: 'memories' }, 'bad2'],
      ['bad admin id', { account_id: 'bad3', admin_user_id: 'x y' }, 'bad3'],
      [
        'non-boolean flag',
        { account_id: 'bad4', admin_user_id: 'x', isolate_user_scope_by_agent: 'yes' },
        'bad4',
      ],
      ['missing admin', { account_id: 'bad5' }, 'bad5'],
      ['not an object', [1, 2], 'bad6'],
    ])('%s → 400 and nothing written', async (_name, body, account) => {
      const res = await post('/accounts', ROOT_KEY, body).expect(400);
      expectErrorEnvelope(res.body, 'INVALID_ARGUMENT');
      expect(existsSync(join(t.dataDir, 'fs', account))).toBe(false);
    });

    test('zod failures name the failing fields', async () => {
      const res = await post('/accounts', ROOT_KEY, { isolate_user_scope_by_agent: 1 }).expect(400);
      const fields = expectErrorEnvelope(res.body, 'INVALID_ARGUMENT').details as {
        fields: { field: string }[];
      };
      expect(fields.fields.map((f) => f.field).sort()).toEqual([
        'account_id',
        'admin_user_id',
        'isolate_user_scope_by_agent',
      ]);
    });

    test('only ROOT creates and lists accounts', async () => {
      for (const key of [aliceKey, bobKey]) {
        await post('/accounts', key, { account_id: 'nope', admin_user_id: 'x' }).expect(403);
        await get('/accounts', key).expect(403);
      }
      expect(existsSync(join(t.dataDir, 'fs', 'nope'))).toBe(false);
    });

    test('GET /accounts lists every account with its policy and user count', async () => {
      const res = await get('/accounts', ROOT_KEY).expect(200);
      const acme = (resultOf(res) as { account_id: string }[]).find((a) => a.account_id === 'acme');
      expect(acme).toEqual({
        account_id: 'acme',
        created_at: expect.any(String) as unknown,
        user_count: 2,
        isolate_user_scope_by_agent: false,
        isolate_agent_scope_by_user: true,
      });
      const ids = (resultOf(res) as { account_id: string }[]).map((a) => a.account_id);
      expect(ids).toEqual(expect.arrayContaining(['default', 'acme', 'other']));
    });

    test('GET /accounts/{id}: ROOT and its ADMIN; others 403; unknown 404; bad id 400', async () => {
      expect(at(await get('/accounts/acme', ROOT_KEY).expect(200), 'account_id')).toBe('acme');
      expect(at(await get('/accounts/acme', aliceKey).expect(200), 'user_count')).toBe(2);
      expectErrorEnvelope((await get('/accounts/acme', zedKey).expect(403)).body, 'PERMISSION_DENIED');
      await get('/accounts/acme', bobKey).expect(403);
      await get('/accounts/ghost', zedKey).expect(403);
      expectErrorEnvelope((await get('/accounts/ghost', ROOT_KEY).expect(404)).body, 'NOT_FOUND');
      await get('/accounts/bad%20id', ROOT_KEY).expect(400);
    });

    test('DELETE: only ROOT; removes files, runs the index hook, invalidates keys', async () => {
      const made = await post('/accounts', ROOT_KEY, { account_id: 'doomed', admin_user_id: 'd' }).expect(
        200,
      );
      const key = keyOf(made);
      await whoami(key).expect(200);
      await del('/accounts/doomed', key).expect(403);
      await del('/accounts/doomed', aliceKey).expect(403);
      expect(resultOf(await del('/accounts/doomed', ROOT_KEY).expect(200))).toEqual({ deleted: true });
      expect(existsSync(join(t.dataDir, 'fs', 'doomed'))).toBe(false);
      expect(t.deletedAccounts).toEqual(['doomed']);
      await whoami(key).expect(401);
      await del('/accounts/doomed', ROOT_KEY).expect(404);
      await get('/accounts/doomed', ROOT_KEY).expect(404);
      // The id is free again.
      await post('/accounts', ROOT_KEY, { account_id: 'doomed', admin_user_id: 'd' }).expect(200);
    });

    test('the default account exists from the start and cannot be deleted', async () => {
      const res = await get('/accounts/default', ROOT_KEY).expect(200);
      expect(resultOf(res)).toMatchObject({
        isolate_user_scope_by_agent: false,
        isolate_agent_scope_by_user: false,
      });
      await del('/accounts/default', ROOT_KEY).expect(403);
    });
  });

  describe('users', () => {
    test('ADMIN registers users; role defaults to user; the key works at once', async () => {
      const res = await post('/accounts/acme/users', aliceKey, { user_id: 'carol' }).expect(200);
      expect(resultOf(res)).toEqual({
        account_id: 'acme',
        user_id: 'carol',
        user_key: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown,
      });
      const me = await whoami(keyOf(res)).expect(200);
      expect(at(me, 'role')).toBe('user');
      expect(at(me, 'effective', 'user_id')).toBe('carol');
    });

    test('an ADMIN may register another admin; ROOT may register anywhere', async () => {
      const res = await post('/accounts/acme/users', aliceKey, { user_id: 'dave', role: 'admin' }).expect(
        200,
      );
      expect(at(await whoami(keyOf(res)).expect(200), 'role')).toBe('admin');
      await post('/accounts/other/users', ROOT_KEY, { user_id: 'yan' }).expect(200);
    });

    test.each([
      ['role root', { user_id: 'eve', role: 'root' }],
      ['role nonsense', { user_id: 'eve', role: 'superuser' }],
      ['reserved user id', { user_id: 'memories' }],
      ['invalid user id', { user_id: 'e/ve' }],
      ['missing user id', {}],
    ])('%s → 400 and nothing written', async (_name, body) => {
      const before = await readFile(join(t.dataDir, 'fs/acme/_system/users.json'), 'utf8');
      expectErrorEnvelope(
        (await post('/accounts/acme/users', aliceKey, body).expect(400)).body,
        'INVALID_ARGUMENT',
      );
      expect(await readFile(join(t.dataDir, 'fs/acme/_system/users.json'), 'utf8')).toBe(before);
    });

    test('duplicate → 409; wrong account or role → 403; unknown account → 404', async () => {
      expectErrorEnvelope(
        (await post('/accounts/acme/users', aliceKey, { user_id: 'bob' }).expect(409)).body,
        'ALREADY_EXISTS',
      );
      await post('/accounts/acme/users', zedKey, { user_id: 'x1' }).expect(403);
      await post('/accounts/acme/users', bobKey, { user_id: 'x2' }).expect(403);
      await post('/accounts/ghost/users', ROOT_KEY, { user_id: 'x3' }).expect(404);
      await post('/accounts/ghost/users', zedKey, { user_id: 'x4' }).expect(403);
    });

    test('GET users: ROOT and its ADMIN only', async () => {
      const res = await get('/accounts/acme/users', aliceKey).expect(200);
      expect(resultOf(res)).toEqual(
        expect.arrayContaining([
          { user_id: 'alice', role: 'admin' },
          { user_id: 'bob', role: 'user' },
        ]),
      );
      await get('/accounts/acme/users', ROOT_KEY).expect(200);
      await get('/accounts/acme/users', zedKey).expect(403);
      await get('/accounts/acme/users', bobKey).expect(403);
    });

    test('PUT role: ROOT only; user/admin only; takes effect on the next request', async () => {
      const made = await post('/accounts/acme/users', aliceKey, { user_id: 'fay' }).expect(200);
      const fayKey = keyOf(made);
      const put = (key: string, role: unknown, user = 'fay') =>
        request(t.app).put(`${ADMIN}/accounts/acme/users/${user}/role`).set('X-API-Key', key).send({ role });
      await put(aliceKey, 'admin').expect(403);
      await put(fayKey, 'admin').expect(403);
      expectErrorEnvelope((await put(ROOT_KEY, 'root').expect(400)).body, 'INVALID_ARGUMENT');
      await put(ROOT_KEY, 'admin', 'ghost').expect(404);
      const res = await put(ROOT_KEY, 'admin').expect(200);
      expect(resultOf(res)).toEqual({ account_id: 'acme', user_id: 'fay', role: 'admin' });
      await get('/accounts/acme/users', fayKey).expect(200);
      await put(ROOT_KEY, 'user').expect(200);
      await get('/accounts/acme/users', fayKey).expect(403);
    });

    test('key regeneration: the old key stops working at once', async () => {
      const made = await post('/accounts/acme/users', aliceKey, { user_id: 'gus' }).expect(200);
      const oldKey = keyOf(made);
      await post('/accounts/acme/users/gus/key', bobKey).expect(403);
      await post('/accounts/acme/users/gus/key', zedKey).expect(403);
      await post('/accounts/acme/users/ghost/key', aliceKey).expect(404);
      const res = await post('/accounts/acme/users/gus/key', aliceKey).expect(200);
      const newKey = keyOf(res);
      expect(newKey).toMatch(/^[0-9a-f]{64}$/);
      expect(newKey).not.toBe(oldKey);
      await whoami(oldKey).expect(401);
      expect(at(await whoami(newKey).expect(200), 'effective', 'user_id')).toBe('gus');
      const again = await post('/accounts/acme/users/gus/key', ROOT_KEY).expect(200);
      await whoami(newKey).expect(401);
      await whoami(keyOf(again)).expect(200);
    });

    test('DELETE user: ROOT and its ADMIN; the key stops working; then 404', async () => {
      const made = await post('/accounts/acme/users', aliceKey, { user_id: 'hal' }).expect(200);
      const halKey = keyOf(made);
      await del('/accounts/acme/users/hal', bobKey).expect(403);
      await del('/accounts/acme/users/hal', zedKey).expect(403);
      expect(resultOf(await del('/accounts/acme/users/hal', aliceKey).expect(200))).toEqual({
        deleted: true,
      });
      await whoami(halKey).expect(401);
      await del('/accounts/acme/users/hal', ROOT_KEY).expect(404);
      // An ADMIN can no longer impersonate the removed user.
      await request(t.app)
        .get('/api/v1/probe/whoami')
        .set({ 'X-API-Key': aliceKey, 'X-OpenViking-User': 'hal' })
        .expect(404);
    });
  });

  test('no key appears in plaintext anywhere under DATA_DIR', async () => {
    const keys = [ROOT_KEY, aliceKey, bobKey, zedKey];
    for (const file of await filesUnder(t.dataDir)) {
      const text = await readFile(file, 'utf8');
      for (const key of keys) expect(text.includes(key)).toBe(false);
    }
    const users = JSON.parse(await readFile(join(t.dataDir, 'fs/acme/_system/users.json'), 'utf8')) as {
      users: { user_id: string; key_prefix: string }[];
    };
    const alice = users.users.find((u) => u.user_id === 'alice');
    expect(alice?.key_prefix.length).toBeLessThanOrEqual(8);
  });
});
