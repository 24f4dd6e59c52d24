/**
 * Sessions through the real app (createApp + auth + error handler) with real keys in api_key mode,
 * plus trusted and dev mode, and the message URIs served by the filesystem through the session reader.
 */
import request from 'supertest';
import { ROOT_KEY, env, sessionsApp, type SessionsApp } from '../helpers/sessions-app.js';

let current: SessionsApp | undefined;
afterEach(async () => current?.cleanup());

async function harness(vars: Record<string, string>): Promise<SessionsApp> {
  current = await sessionsApp(vars);
  return current;
}

describe('api_key mode with real keys', () => {
  let h: SessionsApp;
  let adminKey: string;
  let aliceKey: string;
  let bobKey: string;
  let outsiderKey: string;

  beforeEach(async () => {
    h = await harness({ ROOT_API_KEY: ROOT_KEY });
    const root = { 'X-API-Key': ROOT_KEY };
    const acme = await request(h.app)
      .post('/api/v1/admin/accounts')
      .set(root)
      .send({ account_id: 'acme', admin_user_id: 'boss' });
    adminKey = String(env(acme).result['user_key']);
    const addUser = async (account: string, user_id: string): Promise<string> => {
      const res = await request(h.app)
        .post(`/api/v1/admin/accounts/${account}/users`)
        .set(root)
        .send({ user_id });
      return String(env(res).result['user_key']);
    };
    aliceKey = await addUser('acme', 'alice');
    bobKey = await addUser('acme', 'bob');
    await request(h.app)
      .post('/api/v1/admin/accounts')
      .set(root)
      .send({ account_id: 'other', admin_user_id: 'olga' });
    outsiderKey = await addUser('other', 'dave');
  });

  const as = (key: string) => ({ Authorization: `Bearer ${key}`, 'X-OpenViking-Agent': 'bot' });

  test('a user key creates and writes; the account shares it; another account does not see it', async () => {
    const created = await request(h.app)
      .post('/api/v1/sessions')
      .set(as(aliceKey))
      .send({ session_id: 'chat' });
    expect(env(created)).toEqual({
      status: 'ok',
      result: {
        session_id: 'chat',
        uri: 'viking://session/chat',
        user: { account_id: 'acme', user_id: 'alice', agent_id: 'bot' },
      },
      error: null,
    });
    const added = await request(h.app)
      .post('/api/v1/sessions/chat/messages')
      .set(as(bobKey))
      .send({ role: 'user', content: 'Bob here. Hello.' });
    expect(env(added).result).toEqual({ session_id: 'chat', message_count: 1 });
    const meta = await request(h.app).get('/api/v1/sessions/chat').set(as(aliceKey));
    expect(env(meta).result).toMatchObject({
      created_by_user_id: 'alice',
      participant_user_ids: ['alice', 'bob'],
    });

    expect(env(await request(h.app).get('/api/v1/sessions').set(as(outsiderKey))).result).toEqual([]);
    expect((await request(h.app).get('/api/v1/sessions/chat').set(as(outsiderKey))).status).toBe(404);
    // The outsider's own account may reuse the id.
    expect(
      (await request(h.app).post('/api/v1/sessions').set(as(outsiderKey)).send({ session_id: 'chat' }))
        .status,
    ).toBe(200);
  });

  test('role_id: a user key may not send it; the admin may name registered users only; root anyone', async () => {
    const post = (key: string | Record<string, string>, body: object) =>
      request(h.app)
        .post('/api/v1/sessions/chat/messages')
        .set(typeof key === 'string' ? as(key) : key)
        .send(body);
    const userTry = await post(aliceKey, { role: 'user', role_id: null, content: 'x' });
    expect(userTry.status).toBe(400);
    expect(env(userTry).error?.code).toBe('INVALID_ARGUMENT');
    expect((await post(adminKey, { role: 'user', role_id: 'bob', content: 'x' })).status).toBe(200);
    expect((await post(adminKey, { role: 'user', role_id: 'ghost', content: 'x' })).status).toBe(400);
    expect((await post(adminKey, { role: 'user', role_id: 'dave', content: 'x' })).status).toBe(400);
    const root = { 'X-API-Key': ROOT_KEY, 'X-OpenViking-Account': 'acme', 'X-OpenViking-User': 'alice' };
    expect((await post(root, { role: 'user', role_id: 'ghost', content: 'x' })).status).toBe(200);
    // An admin impersonating bob writes bob's view by default.
    const impersonated = { ...as(adminKey), 'X-OpenViking-User': 'bob' };
    expect((await post(impersonated, { role: 'user', content: 'as bob' })).status).toBe(200);
    const context = await request(h.app).get('/api/v1/sessions/chat/context').set(as(aliceKey));
    const messages = env(context).result['messages'] as { role_id: string }[];
    expect(messages.map((m) => m.role_id)).toEqual(['bob', 'ghost', 'bob']);
  });

  test('delete: 403 for a user key, ok for the admin; the message URI is readable through the filesystem', async () => {
    await request(h.app)
      .post('/api/v1/sessions/chat/messages')
      .set(as(aliceKey))
      .send({ role: 'user', content: 'Find me.' });
    const added = h.hooks.calls.find((c) => c.startsWith('messageAdded acme chat '));
    const messageId = added?.split(' ')[3] ?? '';
    const read = await request(h.app)
      .get('/api/v1/content/read')
      .query({ uri: `viking://session/chat/messages/${messageId}` })
      .set(as(bobKey));
    expect(read.status).toBe(200);
    expect(JSON.parse((read.body as { result: string }).result)).toMatchObject({
      id: messageId,
      role_id: 'alice',
    });
    const folder = 'viking://session/chat/messages';
    const listed = await request(h.app)
      .get('/api/v1/fs/ls')
      .query({ uri: folder, simple: true })
      .set(as(bobKey));
    expect(env(listed).result).toEqual([`${folder}/${messageId}`]);
    const stat = await request(h.app).get('/api/v1/fs/stat').query({ uri: folder }).set(as(bobKey));
    expect(env(stat).result).toMatchObject({ name: 'messages', isDir: true });
    const none = await request(h.app)
      .get('/api/v1/fs/ls')
      .query({ uri: 'viking://session/nochat/messages' })
      .set(as(bobKey));
    expect(none.status).toBe(404);

    expect((await request(h.app).delete('/api/v1/sessions/chat').set(as(aliceKey))).status).toBe(403);
    expect((await request(h.app).delete('/api/v1/sessions/chat').set(as(adminKey))).status).toBe(200);
    expect(h.hooks.calls).toContain('removed acme viking://session/chat');
    expect((await request(h.app).get('/api/v1/sessions/chat').set(as(aliceKey))).status).toBe(404);
  });

  test('no key is 401', async () => {
    expect((await request(h.app).get('/api/v1/sessions')).status).toBe(401);
  });
});

describe('trusted mode', () => {
  test('role_id may be passed, any valid id; delete is 403', async () => {
    const h = await harness({ AUTH_MODE: 'trusted' });
    const ids = { 'X-OpenViking-Account': 'acme', 'X-OpenViking-User': 'alice' };
    const res = await request(h.app)
      .post('/api/v1/sessions/s1/messages')
      .set(ids)
      .send({ role: 'user', role_id: 'zed', content: 'x' });
    expect(env(res).result).toEqual({ session_id: 's1', message_count: 1 });
    const bad = await request(h.app)
      .post('/api/v1/sessions/s1/messages')
      .set(ids)
      .send({ role: 'user', role_id: 'a b', content: 'x' });
    expect(bad.status).toBe(400);
    expect(env(await request(h.app).get('/api/v1/sessions/s1').set(ids)).result).toMatchObject({
      created_by_user_id: 'alice',
      participant_user_ids: ['alice', 'zed'],
    });
    expect((await request(h.app).delete('/api/v1/sessions/s1').set(ids)).status).toBe(403);
  });
});

describe('dev mode', () => {
  test('every caller is root: role_id free, delete allowed', async () => {
    const h = await harness({});
    const res = await request(h.app)
      .post('/api/v1/sessions/s1/messages')
      .send({ role: 'user', role_id: 'anyone', content: 'x' });
    expect(env(res).result).toEqual({ session_id: 's1', message_count: 1 });
    const meta = await request(h.app).get('/api/v1/sessions/s1');
    expect(env(meta).result).toMatchObject({
      created_by_user_id: 'default',
      user: { account_id: 'default', user_id: 'default', agent_id: 'default' },
    });
    expect((await request(h.app).delete('/api/v1/sessions/s1')).status).toBe(200);
  });
});
