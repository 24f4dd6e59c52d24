/**
 * Each session route's statuses and envelope through the real app. Trusted mode gives a USER caller
 * named by headers; dev mode gives ROOT (for the ADMIN/ROOT-only delete).
 */
import request from 'supertest';
import { env, sessionsApp, type SessionsApp } from '../helpers/sessions-app.js';

let trusted: SessionsApp;
let dev: SessionsApp;
beforeEach(async () => {
  trusted = await sessionsApp({ AUTH_MODE: 'trusted' });
  dev = await sessionsApp({});
});
afterEach(async () => {
  await trusted.cleanup();
  await dev.cleanup();
});

const as = (user = 'alice', account = 'acme') => ({
  'X-OpenViking-Account': account,
  'X-OpenViking-User': user,
  'X-OpenViking-Agent': 'bot',
});

test('the full lifecycle through the routes, in the envelope', async () => {
  const app = trusted.app;
  const created = await request(app).post('/api/v1/sessions').set(as()).send({ session_id: 's1' });
  expect(created.status).toBe(200);
  expect(env(created)).toEqual({
    status: 'ok',
    result: {
      session_id: 's1',
      uri: 'viking://session/s1',
      user: { account_id: 'acme', user_id: 'alice', agent_id: 'bot' },
    },
    error: null,
  });
  const added = await request(app)
    .post('/api/v1/sessions/s1/messages')
    .set(as('bob'))
    .send({ role: 'user', content: 'Hello from bob.' });
  expect(env(added).result).toEqual({ session_id: 's1', message_count: 1 });

  const listed = await request(app).get('/api/v1/sessions').set(as('carol'));
  expect(env(listed).result).toEqual([{ session_id: 's1', uri: 'viking://session/s1', is_dir: true }]);

  const got = await request(app).get('/api/v1/sessions/s1').set(as('carol'));
  expect(env(got).result).toMatchObject({
    session_id: 's1',
    created_by_user_id: 'alice',
    participant_user_ids: ['alice', 'bob'],
    message_count: 1,
    commit_count: 0,
    user: { account_id: 'acme', user_id: 'carol', agent_id: 'bot' },
  });

  const context = await request(app).get('/api/v1/sessions/s1/context?token_budget=1000').set(as());
  expect(env(context).result['messages']).toHaveLength(1);
  expect(Object.keys(env(context).result).sort()).toEqual(
    ['estimatedTokens', 'latest_archive_overview', 'messages', 'pre_archive_abstracts', 'stats'].sort(),
  );

  const committed = await request(app).post('/api/v1/sessions/s1/commit').set(as());
  expect(env(committed).result).toEqual({
    session_id: 's1',
    status: 'accepted',
    task_id: null,
    archived: true,
    archive_uri: 'viking://session/s1/history/archive_001',
    extraction: 'skipped',
  });
  const after = await request(app).get('/api/v1/sessions/s1/context').set(as());
  expect(env(after).result['latest_archive_overview']).toContain('Hello from bob.');
});

test('POST /sessions without a body makes a uuid session', async () => {
  const res = await request(trusted.app).post('/api/v1/sessions').set(as());
  expect(res.status).toBe(200);
  expect(env(res).result['session_id']).toMatch(/^[0-9a-f-]{36}$/);
});

test.each([
  ['post', '/api/v1/sessions', { session_id: 's1' }, 409, 'ALREADY_EXISTS'],
  ['post', '/api/v1/sessions', { session_id: 'bad id' }, 400, 'INVALID_ARGUMENT'],
  ['get', '/api/v1/sessions/missing', undefined, 404, 'NOT_FOUND'],
  ['get', '/api/v1/sessions/bad%20id', undefined, 400, 'INVALID_ARGUMENT'],
  ['get', '/api/v1/sessions/s1/context?token_budget=-5', undefined, 400, 'INVALID_ARGUMENT'],
  ['get', '/api/v1/sessions/s1/context?token_budget=ten', undefined, 400, 'INVALID_ARGUMENT'],
  ['get', '/api/v1/sessions/missing/context', undefined, 404, 'NOT_FOUND'],
  ['post', '/api/v1/sessions/missing/commit', undefined, 404, 'NOT_FOUND'],
  ['post', '/api/v1/sessions/s1/messages', { role: 'user' }, 400, 'INVALID_ARGUMENT'],
  [
    'post',
    '/api/v1/sessions/s1/messages',
    { role: 'user', role_id: 'x/y', content: 'x' },
    400,
    'INVALID_ARGUMENT',
  ],
  ['delete', '/api/v1/sessions/s1', undefined, 403, 'PERMISSION_DENIED'],
  [
    'post',
    '/api/v1/sessions/s1/messages',
    { role: 'user', content: 'x', peer_id: '../x' },
    400,
    'INVALID_ARGUMENT',
  ],
  ['post', '/api/v1/sessions/s1/messages/batch', {}, 400, 'INVALID_ARGUMENT'],
  ['post', '/api/v1/sessions/s1/messages/batch', { messages: 'x' }, 400, 'INVALID_ARGUMENT'],
  ['post', '/api/v1/sessions/s1/messages/batch', { messages: [null] }, 400, 'INVALID_ARGUMENT'],
  ['post', '/api/v1/sessions/s1/messages/batch', { messages: [] }, 400, 'INVALID_ARGUMENT'],
  [
    'post',
    '/api/v1/sessions/bad%20id/messages/batch',
    { messages: [{ role: 'user', content: 'x' }] },
    400,
    'INVALID_ARGUMENT',
  ],
  ['get', '/api/v1/sessions/s1/archives/archive_001', undefined, 404, 'NOT_FOUND'],
  ['get', '/api/v1/sessions/s1/archives/..%2F..%2Fmeta', undefined, 400, 'INVALID_ARGUMENT'],
  ['get', '/api/v1/sessions/missing/archives/archive_001', undefined, 404, 'NOT_FOUND'],
] as const)('%s %s %j → %d %s', async (method, path, body, status, code) => {
  await request(trusted.app).post('/api/v1/sessions').set(as()).send({ session_id: 's1' });
  const req = request(trusted.app)[method](path).set(as());
  const res = body === undefined ? await req : await req.send(body);
  expect(res.status).toBe(status);
  expect(env(res)).toMatchObject({ status: 'error', result: null, error: { code } });
  expect(JSON.stringify(res.body)).not.toMatch(/at .*\.ts:\d+/);
});

test('validation errors name the failing fields', async () => {
  const res = await request(trusted.app)
    .post('/api/v1/sessions/s1/messages')
    .set(as())
    .send({ role: 'user', parts: [{ type: 'text' }] });
  expect(res.status).toBe(400);
  expect(env(res).error?.details['fields']).toEqual([expect.objectContaining({ field: 'parts.0.text' })]);
});

// Message bodies are parsed by the route; a refused one creates no session.
test.each([
  [{ role: 'user' }, 'content'],
  [{ content: 'x' }, 'role'],
  [{ role: 'boss', content: 'x' }, 'role'],
  [{ role: 'user', parts: [] }, 'parts'],
  [{ role: 'user', parts: [{ type: 'image', url: 'x' }] }, 'parts.0.type'],
  [{ role: 'user', parts: [{ type: 'text' }] }, 'parts.0.text'],
  [{ role: 'user', parts: [{ type: 'tool', tool_id: 'a/b', tool_name: 'x' }] }, 'parts.0.tool_id'],
  [{ role: 'user', content: 'x', created_at: 'yesterday' }, 'created_at'],
  [{ role: 'user', content: 5 }, 'content'],
  [{ role: 'user', content: 'x', peer_id: 'no/slash' }, 'peer_id'],
  [{ role: 'user', content: 'x', peer_id: '' }, 'peer_id'],
  [{ role: 'user', content: 'x', peer_id: 'x'.repeat(129) }, 'peer_id'],
  [{ role: 'user', content: 'x', peer_id: 7 }, 'peer_id'],
])('invalid message %j is 400 naming %s; nothing is written', async (body, field) => {
  const res = await request(dev.app).post('/api/v1/sessions/s1/messages').send(body);
  expect(res.status).toBe(400);
  expect(env(res).error).toMatchObject({ code: 'INVALID_ARGUMENT', message: 'invalid message' });
  const fields = env(res).error?.details['fields'] as { field: string }[];
  expect(fields.map((f) => f.field)).toContain(field);
  expect((await request(dev.app).get('/api/v1/sessions/s1')).status).toBe(404);
});

test('a malformed JSON body is 400, not 500', async () => {
  const res = await request(trusted.app)
    .post('/api/v1/sessions/s1/messages')
    .set(as())
    .set('Content-Type', 'application/json')
    .send('{"role": "user", "content": ');
  expect(res.status).toBe(400);
});

test('root deletes idempotently; the id is free again afterwards', async () => {
  const app = dev.app;
  await request(app).post('/api/v1/sessions/s1/messages').send({ role: 'user', content: 'x' });
  for (let i = 0; i < 2; i += 1) {
    const res = await request(app).delete('/api/v1/sessions/s1');
    expect(env(res).result).toEqual({ session_id: 's1', deleted: true });
  }
  expect((await request(app).get('/api/v1/sessions/s1')).status).toBe(404);
  expect((await request(app).post('/api/v1/sessions').send({ session_id: 's1' })).status).toBe(200);
});

test('another account sees none of it', async () => {
  await request(trusted.app)
    .post('/api/v1/sessions/s1/messages')
    .set(as())
    .send({ role: 'user', content: 'x' });
  const other = as('dave', 'other');
  expect(env(await request(trusted.app).get('/api/v1/sessions').set(other)).result).toEqual([]);
  expect((await request(trusted.app).get('/api/v1/sessions/s1').set(other)).status).toBe(404);
  expect((await request(trusted.app).get('/api/v1/sessions/s1/context').set(other)).status).toBe(404);
});
