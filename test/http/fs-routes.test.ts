/** The filesystem, content and grep/glob routes through express: query/body parsing and the envelope. */
import request from 'supertest';
import { ctxOf, createTestFs, type TestFs } from '../helpers/vfs.js';
import { fsTestApp } from '../helpers/fs-app.js';

interface Envelope {
  status: string;
  result: unknown;
  error: { code: string; details: { fields?: unknown } } | null;
}

/** The typed envelope of a response. */
const body = (res: { body: unknown }) => res.body as Envelope;
const result = <T = Record<string, unknown>>(res: { body: unknown }) => body(res).result as T;
const error = (res: { body: unknown }) => body(res).error ?? { code: 'none', details: {} };

let fs: TestFs;
let app: ReturnType<typeof fsTestApp>;
beforeEach(async () => {
  fs = await createTestFs({ maxFileBytes: 1024 });
  await fs.vfs.initAccount('acme');
  await fs.vfs.ensureIdentity(ctxOf('user', 'alice'));
  await fs.vfs.ensureIdentity(ctxOf('user', 'bob'));
  app = fsTestApp(fs.vfs);
});
afterEach(() => fs.cleanup());

const write = (uri: string, content: string, extra: object = {}) =>
  request(app)
    .post('/api/v1/content/write')
    .send({ uri, content, ...extra });

test('write, read, stat and ls round-trip with canonical URIs in the envelope', async () => {
  const written = await write('viking://user/memories/a.md', 'one\ntwo\n', { wait: true });
  expect(written.status).toBe(200);
  expect(body(written)).toEqual({
    status: 'ok',
    result: { uri: 'viking://user/alice/memories/a.md', mode: 'replace', size: 8 },
    error: null,
  });
  const read = await request(app)
    .get('/api/v1/content/read')
    .query({ uri: 'viking://user/memories/a.md', offset: 1, limit: 1 });
  expect(result(read)).toBe('two\n');
  const stat = await request(app).get('/api/v1/fs/stat').query({ uri: 'viking://user/alice/memories/a.md' });
  expect(result(stat)).toMatchObject({ name: 'a.md', size: 8, isDir: false });
  const ls = await request(app).get('/api/v1/fs/ls').query({ uri: 'viking://user', simple: 'true' });
  expect(result(ls)).toEqual(['viking://user/alice']);
  const tree = await request(app)
    .get('/api/v1/fs/tree')
    .query({ uri: 'viking://user/alice', level_limit: 1 });
  expect(result(tree)).toEqual([
    expect.objectContaining({ uri: 'viking://user/alice/memories', rel_path: 'memories' }),
  ]);
});

test('statuses: 400 shape, 403 visibility, 404 missing, 412 folder, 413 too large, 409 exists', async () => {
  const get = (uri: string) => request(app).get('/api/v1/content/read').query({ uri });
  expect((await get('viking://user/bob/missing.md')).status).toBe(403);
  expect((await get('viking://user/alice/missing.md')).status).toBe(404);
  expect(error(await get('viking://tmp/x')).code).toBe('INVALID_URI');
  expect((await get('viking://user/alice')).status).toBe(412);
  expect((await write('viking://resources/big', 'x'.repeat(2000))).status).toBe(413);
  await write('viking://resources/a.md', 'a');
  await write('viking://resources/b.md', 'b');
  const mv = await request(app)
    .post('/api/v1/fs/mv')
    .send({ from_uri: 'viking://resources/a.md', to_uri: 'viking://resources/b.md' });
  expect(mv.status).toBe(409);
  const session = await write('viking://session/s1/x.md', 'x');
  expect(session.status).toBe(403);
});

test('invalid bodies and queries are 400 INVALID_ARGUMENT naming the fields', async () => {
  const missing = await request(app).post('/api/v1/content/write').send({ uri: 'viking://resources/a.md' });
  expect(missing.status).toBe(400);
  expect(error(missing).code).toBe('INVALID_ARGUMENT');
  expect(error(missing).details.fields).toEqual([expect.objectContaining({ field: 'content' })]);
  const mode = await write('viking://resources/a.md', 'x', { mode: 'upsert' });
  expect(error(mode).details.fields).toEqual([expect.objectContaining({ field: 'mode' })]);
  const limit = await request(app).get('/api/v1/fs/ls').query({ uri: 'viking://', node_limit: 'many' });
  expect(limit.status).toBe(400);
  const noUri = await request(app).get('/api/v1/fs/stat');
  expect(error(noUri).details.fields).toEqual([expect.objectContaining({ field: 'uri' })]);
  const regex = await request(app).post('/api/v1/search/grep').send({ uri: 'viking://', pattern: '(' });
  expect(regex.status).toBe(400);
});

test('mkdir, abstract, overview, delete and mv routes', async () => {
  const made = await request(app)
    .post('/api/v1/fs/mkdir')
    .send({ uri: 'viking://resources/p', description: 'Project' });
  expect(result(made)).toEqual({ uri: 'viking://resources/p', description: 'Project' });
  expect(
    result(await request(app).get('/api/v1/content/abstract').query({ uri: 'viking://resources/p' })),
  ).toBe('Project');
  expect(
    result(await request(app).get('/api/v1/content/overview').query({ uri: 'viking://resources/p' })),
  ).toBe('');
  expect((await request(app).delete('/api/v1/fs').query({ uri: 'viking://resources/p' })).status).toBe(412);
  const del = await request(app)
    .delete('/api/v1/fs')
    .query({ uri: 'viking://resources/p', recursive: 'true' });
  expect(result(del)).toEqual({ uri: 'viking://resources/p', deleted: true });
  await write('viking://user/memories/m.md', 'm');
  const mv = await request(app)
    .post('/api/v1/fs/mv')
    .send({ from_uri: 'viking://user/memories/m.md', to_uri: 'viking://user/memories/events/m.md' });
  expect(result(mv).to_uri).toBe('viking://user/alice/memories/events/m.md');
  const across = await request(app)
    .post('/api/v1/fs/mv')
    .send({ from_uri: 'viking://user/memories/events/m.md', to_uri: 'viking://resources/m.md' });
  expect(across.status).toBe(403);
});

test('grep and glob only return what the caller may read; ROOT sees all', async () => {
  await write('viking://user/memories/a.md', 'needle in alice');
  await request(app)
    .post('/api/v1/content/write')
    .set('x-test-user', 'bob')
    .send({ uri: 'viking://user/memories/b.md', content: 'needle in bob' });
  const grep = await request(app)
    .post('/api/v1/search/grep')
    .send({ uri: 'viking://', pattern: 'NEEDLE', case_insensitive: true });
  expect(result(grep)).toEqual({
    matches: [{ uri: 'viking://user/alice/memories/a.md', line: 1, content: 'needle in alice' }],
    count: 1,
  });
  const glob = await request(app).post('/api/v1/search/glob').send({ pattern: '**/*.md' });
  expect(result(glob)).toEqual({ matches: ['viking://user/alice/memories/a.md'], count: 1 });
  const asRoot = await request(app)
    .post('/api/v1/search/glob')
    .set('x-test-role', 'root')
    .send({ pattern: '**/*.md', node_limit: 10 });
  expect(result(asRoot).count).toBe(2);
});
