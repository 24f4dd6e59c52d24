/**
 * Issue 28: the OpenAPI document types the answers (not `result: {}`), and the types are true — real
 * answers of the running app, for every typed route a client uses first (search, files, sessions,
 * admin, status, tasks, uploads and add_resource), validate against the document's JSON Schema of that route's 200
 * answer, as a generated client would read them.
 */
import request from 'supertest';
import { documentedAnswers, type DocumentedAnswers } from '../helpers/openapi-answers.js';
import { fullApp, type Client, type FullApp } from '../helpers/full-app.js';

let env: FullApp;
let doc: DocumentedAnswers;

beforeAll(async () => {
  env = await fullApp({ accounts: [{ account_id: 'acme', users: ['alice'] }] });
  doc = await documentedAnswers(env.app);
});
afterAll(() => env.close());

const resultSchema = (method: string, route: string) => doc.resultSchema(method, route);
const violation = (method: string, route: string, body: unknown) => doc.violation(method, route, body);
const conforms = (method: string, route: string, sent: request.Test) => doc.conforms(method, route, sent);

const TYPED = [
  ['post', '/api/v1/search/find'],
  ['post', '/api/v1/search/search'],
  ['get', '/api/v1/fs/ls'],
  ['get', '/api/v1/fs/stat'],
  ['get', '/api/v1/content/read'],
  ['post', '/api/v1/sessions'],
  ['get', '/api/v1/sessions/:id'],
  ['post', '/api/v1/sessions/:id/messages'],
  ['post', '/api/v1/sessions/:id/commit'],
  ['post', '/api/v1/admin/accounts'],
  ['post', '/api/v1/admin/accounts/:id/users'],
  ['get', '/api/v1/system/status'],
  ['get', '/api/v1/tasks'],
  ['get', '/api/v1/tasks/:id'],
  ['post', '/api/v1/resources'],
  ['post', '/api/v1/resources/temp_upload'],
  ['get', '/api/v1/fs/attrs'],
  ['get', '/api/v1/observer/system'],
] as const;

test.each(TYPED)('%s %s has a typed result', (method, route) => {
  const schema = resultSchema(method, route);
  expect(schema).toBeDefined();
  expect(schema).not.toEqual({});
});

test('a typed schema rejects an answer of another shape (the check below can fail)', () => {
  const entry = {
    uri: 'viking://resources/a',
    size: 0,
    isDir: true,
    modTime: '2026-01-01T00:00:00Z',
    abstract: '',
  };
  expect(violation('get', '/api/v1/fs/ls', { status: 'ok', result: [entry], error: null })).toBeNull();
  expect(
    violation('get', '/api/v1/fs/ls', { status: 'ok', result: [{ ...entry, size: '0' }], error: null }),
  ).not.toBeNull();
  expect(
    violation('get', '/api/v1/fs/stat', { status: 'ok', result: { ...entry, extra: 1 }, error: null }),
  ).not.toBeNull();
});

test('files, content and grep/glob answer as documented', async () => {
  const c = env.client({ account: 'acme', user: 'alice' });
  const file = 'viking://resources/notes/a.md';
  const write = await conforms(
    'post',
    '/api/v1/content/write',
    c.post('/api/v1/content/write').send({ uri: file, content: 'hello world', wait: true }),
  );
  expect(write).toMatchObject({ uri: file, mode: 'replace' });
  await conforms(
    'post',
    '/api/v1/fs/mkdir',
    c.post('/api/v1/fs/mkdir').send({ uri: 'viking://resources/d', description: 'a folder' }),
  );
  await conforms('get', '/api/v1/fs/ls', c.get('/api/v1/fs/ls').query({ uri: 'viking://resources' }));
  await conforms(
    'get',
    '/api/v1/fs/ls',
    c.get('/api/v1/fs/ls').query({ uri: 'viking://resources', simple: true }),
  );
  await conforms('get', '/api/v1/fs/tree', c.get('/api/v1/fs/tree').query({ uri: 'viking://resources' }));
  await conforms('get', '/api/v1/fs/stat', c.get('/api/v1/fs/stat').query({ uri: file }));
  await conforms('get', '/api/v1/content/read', c.get('/api/v1/content/read').query({ uri: file }));
  await conforms(
    'get',
    '/api/v1/content/abstract',
    c.get('/api/v1/content/abstract').query({ uri: 'viking://resources/d' }),
  );
  await conforms(
    'get',
    '/api/v1/content/overview',
    c.get('/api/v1/content/overview').query({ uri: 'viking://resources/d' }),
  );
  await conforms(
    'post',
    '/api/v1/search/grep',
    c.post('/api/v1/search/grep').send({ uri: 'viking://resources', pattern: 'hello' }),
  );
  await conforms('post', '/api/v1/search/glob', c.post('/api/v1/search/glob').send({ pattern: '**/*.md' }));
  await conforms('get', '/api/v1/fs/attrs', c.get('/api/v1/fs/attrs').query({ uri: file }));
  const tags = { uri: 'viking://resources/notes', tags: ['team=ops'], recursive: true };
  await conforms('post', '/api/v1/fs/attrs/set_tags', c.post('/api/v1/fs/attrs/set_tags').send(tags));
  await conforms('get', '/api/v1/fs/attrs', c.get('/api/v1/fs/attrs').query({ uri: file }));
  const to = 'viking://resources/e';
  await conforms(
    'post',
    '/api/v1/fs/mv',
    c.post('/api/v1/fs/mv').send({ from_uri: 'viking://resources/d', to_uri: to }),
  );
  await conforms('delete', '/api/v1/fs', c.delete('/api/v1/fs').query({ uri: to, recursive: true }));
  await conforms('delete', '/api/v1/fs', c.delete('/api/v1/fs').query({ uri: to }));
});

test('search answers as documented, with and without explain, in every mode', async () => {
  const c = env.client({ account: 'acme', user: 'alice' });
  await c
    .post('/api/v1/content/write')
    .send({ uri: 'viking://resources/s.md', content: 'zebra notes', wait: true });
  for (const mode of ['vector', 'fulltext', 'hybrid']) {
    for (const route of ['/api/v1/search/find', '/api/v1/search/search']) {
      const result = await conforms(
        'post',
        route,
        c.post(route).send({ query: 'zebra', mode, explain: true }),
      );
      expect(result.total).toBeGreaterThan(0);
    }
  }
  await conforms('post', '/api/v1/search/find', c.post('/api/v1/search/find').send({ query: 'zebra' }));
});

test('sessions answer as documented', async () => {
  const c = env.client({ account: 'acme', user: 'alice' });
  const created = await conforms('post', '/api/v1/sessions', c.post('/api/v1/sessions').send({}));
  const id = String(created.session_id);
  const session = (route: string) => route.replace(':id', id);
  await conforms(
    'post',
    '/api/v1/sessions/:id/messages',
    c.post(session('/api/v1/sessions/:id/messages')).send({ role: 'user', content: 'hi' }),
  );
  const batch = { messages: [{ role: 'assistant', content: 'hello' }] };
  await conforms(
    'post',
    '/api/v1/sessions/:id/messages/batch',
    c.post(session('/api/v1/sessions/:id/messages/batch')).send(batch),
  );
  await conforms('get', '/api/v1/sessions/:id', c.get(session('/api/v1/sessions/:id')));
  await conforms('get', '/api/v1/sessions', c.get('/api/v1/sessions'));
  await conforms('get', '/api/v1/sessions/:id/context', c.get(session('/api/v1/sessions/:id/context')));
  await conforms(
    'post',
    '/api/v1/sessions/:id/commit',
    c.post(session('/api/v1/sessions/:id/commit')).send({}),
  );
  const used = { contexts: ['viking://resources/notes/a.md'] };
  await conforms(
    'post',
    '/api/v1/sessions/:id/used',
    c.post(session('/api/v1/sessions/:id/used')).send(used),
  );
  await conforms(
    'get',
    '/api/v1/sessions/:id/archives/:archive',
    c.get(session('/api/v1/sessions/:id/archives/archive_001')),
  );
  await conforms('get', '/api/v1/sessions/:id/memories', c.get(session('/api/v1/sessions/:id/memories')));
  // After a commit the context carries the archive's overview; a live message keeps `messages` typed.
  await c.post(session('/api/v1/sessions/:id/messages')).send({ role: 'user', content: 'again' });
  const context = await conforms(
    'get',
    '/api/v1/sessions/:id/context',
    c.get(session('/api/v1/sessions/:id/context')),
  );
  expect(context.messages).toHaveLength(1);
  const admin = env.client({ account: 'acme', user: 'admin' });
  await conforms('delete', '/api/v1/sessions/:id', admin.delete(session('/api/v1/sessions/:id')));
});

test('admin routes answer as documented', async () => {
  const root = (): Client => env.root();
  await conforms(
    'post',
    '/api/v1/admin/accounts',
    root().post('/api/v1/admin/accounts').send({ account_id: 'beta', admin_user_id: 'bob' }),
  );
  await conforms('get', '/api/v1/admin/accounts', root().get('/api/v1/admin/accounts'));
  await conforms('get', '/api/v1/admin/accounts/:id', root().get('/api/v1/admin/accounts/beta'));
  const user = { user_id: 'carol', role: 'user' };
  await conforms(
    'post',
    '/api/v1/admin/accounts/:id/users',
    root().post('/api/v1/admin/accounts/beta/users').send(user),
  );
  await conforms('get', '/api/v1/admin/accounts/:id/users', root().get('/api/v1/admin/accounts/beta/users'));
  const carol = '/api/v1/admin/accounts/beta/users/carol';
  await conforms(
    'put',
    '/api/v1/admin/accounts/:id/users/:uid/role',
    root().put(`${carol}/role`).send({ role: 'admin' }),
  );
  await conforms('post', '/api/v1/admin/accounts/:id/users/:uid/key', root().post(`${carol}/key`));
  await conforms('delete', '/api/v1/admin/accounts/:id/users/:uid', root().delete(carol));
  await conforms('delete', '/api/v1/admin/accounts/:id', root().delete('/api/v1/admin/accounts/beta'));
});

test('system, tasks and uploads answer as documented', async () => {
  const c = env.client({ account: 'acme', user: 'alice' });
  await conforms('get', '/health', request(env.app).get('/health'));
  await conforms('get', '/health', c.get('/health'));
  await conforms('get', '/ready', request(env.app).get('/ready'));
  await conforms('get', '/api/v1/system/status', env.root().get('/api/v1/system/status'));
  await conforms('get', '/api/v1/system/status', c.get('/api/v1/system/status'));
  await conforms('post', '/api/v1/system/wait', c.post('/api/v1/system/wait').send({}));
  // ROOT sees the server's figures; it names an account on tenant routes.
  const root = env.client({ account: 'acme', user: 'admin', root: true });
  for (const route of ['/api/v1/observer/queue', '/api/v1/observer/vikingdb', '/api/v1/observer/models']) {
    for (const caller of [c, root]) await conforms('get', route, caller.get(route));
  }
  await conforms('get', '/api/v1/observer/system', c.get('/api/v1/observer/system'));
  await conforms('get', '/api/v1/observer/system', root.get('/api/v1/observer/system'));
  await conforms('get', '/api/v1/debug/health', c.get('/api/v1/debug/health'));
  const upload = await conforms(
    'post',
    '/api/v1/resources/temp_upload',
    c.post('/api/v1/resources/temp_upload').attach('file', Buffer.from('# Doc\n\nuploaded text'), 'doc.md'),
  );
  const added = await conforms(
    'post',
    '/api/v1/resources',
    c.post('/api/v1/resources').send({ temp_file_id: upload.temp_file_id, wait: false }),
  );
  const task_id = String(added.task_id);
  const again = await c.post('/api/v1/resources/temp_upload').attach('file', Buffer.from('# B\n\nb'), 'b.md');
  const waited = {
    temp_file_id: (again.body as { result: { temp_file_id: string } }).result.temp_file_id,
    wait: true,
  };
  await conforms('post', '/api/v1/resources', c.post('/api/v1/resources').send(waited));
  await conforms('get', '/api/v1/tasks/:id', c.get(`/api/v1/tasks/${task_id}`));
  const tasks = await conforms('get', '/api/v1/tasks', c.get('/api/v1/tasks'));
  expect(tasks).toEqual(expect.arrayContaining([expect.objectContaining({ task_id })]));
  await c.post('/api/v1/system/wait').send({});
  await conforms('get', '/api/v1/tasks/:id', c.get(`/api/v1/tasks/${task_id}`));
});
