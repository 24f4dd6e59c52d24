/** The session routes over HTTP (supertest against a small app that sets the context from headers). */
import request from 'supertest';
import type { Express } from 'express';
import { sessionTestApp } from '../helpers/session-app.js';
import { sessionFixture, type Fixture } from '../helpers/sessions.js';

let fx: Fixture;
let app: Express;
beforeEach(async () => {
  fx = await sessionFixture();
  app = sessionTestApp(fx.service);
});
afterEach(async () => fx.cleanup());

interface Envelope {
  status: string;
  result: Record<string, unknown>;
  error: { code: string; details: { fields: unknown[] } };
}
/** The response body as the envelope (supertest types it as any). */
const env = (res: { body: unknown }): Envelope => res.body as Envelope;

const as = (role: string, user = 'alice', account = 'acme') => ({
  'x-test-role': role,
  'x-test-user': user,
  'x-test-account': account,
});

test('the full lifecycle through the routes, in the envelope', async () => {
  const created = await request(app).post('/api/v1/sessions').set(as('user')).send({ session_id: 's1' });
  expect(created.status).toBe(200);
  expect(created.body).toEqual({
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
    .set(as('user', 'bob'))
    .send({ role: 'user', content: 'Hello from bob.' });
  expect(env(added).result).toEqual({ session_id: 's1', message_count: 1 });

  const listed = await request(app).get('/api/v1/sessions').set(as('user', 'carol'));
  expect(env(listed).result).toEqual([{ session_id: 's1', uri: 'viking://session/s1', is_dir: true }]);

  const got = await request(app).get('/api/v1/sessions/s1').set(as('user', 'carol'));
  expect(env(got).result).toMatchObject({
    session_id: 's1',
    created_by_user_id: 'alice',
    participant_user_ids: ['alice', 'bob'],
    message_count: 1,
    user: { account_id: 'acme', user_id: 'carol', agent_id: 'bot' },
  });

  const context = await request(app).get('/api/v1/sessions/s1/context?token_budget=1000').set(as('user'));
  expect(env(context).result['messages']).toHaveLength(1);
  expect(Object.keys(env(context).result).sort()).toEqual(
    ['estimatedTokens', 'latest_archive_overview', 'messages', 'pre_archive_abstracts', 'stats'].sort(),
  );

  const committed = await request(app).post('/api/v1/sessions/s1/commit').set(as('user'));
  expect(env(committed).result).toEqual({
    session_id: 's1',
    status: 'accepted',
    archived: true,
    archive_uri: 'viking://session/s1/history/archive_001',
  });

  const denied = await request(app).delete('/api/v1/sessions/s1').set(as('user'));
  expect(denied.status).toBe(403);
  expect(env(denied).error.code).toBe('PERMISSION_DENIED');
  const deleted = await request(app).delete('/api/v1/sessions/s1').set(as('admin'));
  expect(env(deleted).result).toEqual({ session_id: 's1', deleted: true });
  expect((await request(app).get('/api/v1/sessions/s1').set(as('user'))).status).toBe(404);
  expect((await request(app).delete('/api/v1/sessions/s1').set(as('root'))).status).toBe(200);
});

test('POST /sessions without a body makes a uuid session', async () => {
  const res = await request(app).post('/api/v1/sessions').set(as('user'));
  expect(res.status).toBe(200);
  expect(env(res).result['session_id']).toMatch(/^[0-9a-f-]{36}$/);
});

test.each([
  ['post', '/api/v1/sessions', { session_id: 's1' }, 409, 'ALREADY_EXISTS'],
  ['post', '/api/v1/sessions', { session_id: 'bad id' }, 400, 'INVALID_ARGUMENT'],
  ['get', '/api/v1/sessions/missing', undefined, 404, 'NOT_FOUND'],
  ['get', '/api/v1/sessions/bad%20id', undefined, 400, 'INVALID_ARGUMENT'],
  ['get', '/api/v1/sessions/s1/context?token_budget=-5', undefined, 400, 'INVALID_ARGUMENT'],
  ['get', '/api/v1/sessions/missing/context', undefined, 404, 'NOT_FOUND'],
  ['post', '/api/v1/sessions/missing/commit', undefined, 404, 'NOT_FOUND'],
  [
    'post',
    '/api/v1/sessions/s1/messages',
    { role: 'user', role_id: null, content: 'x' },
    400,
    'INVALID_ARGUMENT',
  ],
  ['post', '/api/v1/sessions/s1/messages', { role: 'user' }, 400, 'INVALID_ARGUMENT'],
  ['delete', '/api/v1/sessions/s1', undefined, 403, 'PERMISSION_DENIED'],
] as const)('%s %s %j → %d %s', async (method, path, body, status, code) => {
  await request(app).post('/api/v1/sessions').set(as('user')).send({ session_id: 's1' });
  const req = request(app)[method](path).set(as('user'));
  const res = body === undefined ? await req : await req.send(body);
  expect(res.status).toBe(status);
  expect(res.body).toMatchObject({ status: 'error', result: null, error: { code } });
  expect(JSON.stringify(res.body)).not.toMatch(/at .*\.ts:\d+/);
});

test('validation errors name the failing fields', async () => {
  const res = await request(app)
    .post('/api/v1/sessions/s1/messages')
    .set(as('root'))
    .send({ role: 'user', parts: [{ type: 'text' }] });
  expect(res.status).toBe(400);
  expect(env(res).error.details.fields).toEqual([expect.objectContaining({ field: 'parts.0.text' })]);
});

test('another account sees none of it', async () => {
  await request(app)
    .post('/api/v1/sessions/s1/messages')
    .set(as('user'))
    .send({ role: 'user', content: 'x' });
  const other = as('admin', 'dave', 'other');
  expect(env(await request(app).get('/api/v1/sessions').set(other)).result).toEqual([]);
  expect((await request(app).get('/api/v1/sessions/s1').set(other)).status).toBe(404);
  expect((await request(app).get('/api/v1/sessions/s1/context').set(other)).status).toBe(404);
});
