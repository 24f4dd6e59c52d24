/**
 * `POST /api/v1/resources/temp_upload`: multipart upload → temp_file_id, stored under DATA_DIR and
 * scoped to the uploading account; oversized uploads get 413 in the envelope, with nothing kept.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import request from 'supertest';
import { z } from 'zod';
import { errorCodeOf, fullApp, type FullApp } from '../helpers/full-app.js';

const LIMIT = 64 * 1024;
let full: FullApp;

beforeAll(async () => {
  full = await fullApp({
    accounts: [
      { account_id: 'acme', users: ['alice', 'bob'] },
      { account_id: 'other', users: ['olga'] },
    ],
    env: { MAX_UPLOAD_BYTES: String(LIMIT) },
  });
});
afterAll(() => full.close());

const idOf = (body: unknown): string =>
  z.object({ result: z.object({ temp_file_id: z.string() }) }).parse(body).result.temp_file_id;

const ctxOf = (account: string, user: string) => ({
  effective: { account_id: account, user_id: user, agent_id: 'default' },
  role: 'user' as const,
  policy: { isolate_user_scope_by_agent: false, isolate_agent_scope_by_user: false },
});

async function stored(account: string): Promise<string[]> {
  return readdir(join(full.dataDir, 'uploads', account)).catch(() => []);
}

test('an upload returns an id that its account can open, with the original name', async () => {
  const alice = full.client({ account: 'acme', user: 'alice' });
  const res = await alice
    .post('/api/v1/resources/temp_upload')
    .attach('file', Buffer.from('hello upload'), 'notes – été.md');
  expect(res.status).toBe(200);
  const id = idOf(res.body);
  expect(id).toMatch(/^upload_[0-9a-f]{32}\.md$/);
  expect(await stored('acme')).toContain(id);
  const upload = await full.services.uploads.read(ctxOf('acme', 'alice'), id);
  expect(upload.upload.filename).toBe('notes – été.md');
  expect(upload.data.toString()).toBe('hello upload');
});

test("another account's upload id is NOT_FOUND; a forged id is INVALID_ARGUMENT", async () => {
  const res = await full
    .client({ account: 'acme', user: 'alice' })
    .post('/api/v1/resources/temp_upload')
    .attach('file', Buffer.from('secret'), 'secret.txt');
  const id = idOf(res.body);
  await expect(full.services.uploads.open(ctxOf('other', 'olga'), id)).rejects.toMatchObject({
    code: 'NOT_FOUND',
  });
  await expect(full.services.uploads.open(ctxOf('acme', 'alice'), '../../fs/acme/x')).rejects.toMatchObject({
    code: 'INVALID_ARGUMENT',
  });
});

test('an upload over MAX_UPLOAD_BYTES is 413 and leaves nothing behind', async () => {
  const before = await stored('acme');
  const alice = full.client({ account: 'acme', user: 'alice' });
  // Just over the limit: passes the Content-Length check, refused by the streaming limit.
  const over = await alice
    .post('/api/v1/resources/temp_upload')
    .attach('file', Buffer.alloc(LIMIT + 1, 97), 'a.txt');
  expect(over.status).toBe(413);
  expect(errorCodeOf(over)).toBe('PAYLOAD_TOO_LARGE');
  // Far over: refused from the declared Content-Length alone.
  const huge = await alice
    .post('/api/v1/resources/temp_upload')
    .attach('file', Buffer.alloc(4 * LIMIT, 97), 'b.txt');
  expect(huge.status).toBe(413);
  expect(await stored('acme')).toEqual(before);
  expect(await readdir(join(full.dataDir, 'uploads', '.incoming'))).toEqual([]);
});

test('a request without a file is 400', async () => {
  const alice = full.client({ account: 'acme', user: 'alice' });
  const none = await alice.post('/api/v1/resources/temp_upload').field('telemetry', 'false');
  expect(none.status).toBe(400);
  const json = await alice.post('/api/v1/resources/temp_upload').send({ file: 'x' });
  expect(json.status).toBe(400);
  const wrongField = await alice
    .post('/api/v1/resources/temp_upload')
    .attach('upload', Buffer.from('x'), 'x.txt');
  expect(wrongField.status).toBe(400);
});

test("an upload is its uploader's: another user of the account gets 404; an ADMIN acting as the uploader may use it", async () => {
  const upload = () =>
    full
      .client({ account: 'acme', user: 'alice' })
      .post('/api/v1/resources/temp_upload')
      .attach('file', Buffer.from('# Alice only\n'), 'alice.md');
  const id = idOf((await upload()).body);
  const bob = full.client({ account: 'acme', user: 'bob' });
  const stolen = await bob
    .post('/api/v1/resources')
    .send({ temp_file_id: id, to: 'viking://resources/stolen', wait: true });
  expect(stolen.status).toBe(404);
  expect(errorCodeOf(stolen)).toBe('NOT_FOUND');
  await expect(full.services.uploads.open(ctxOf('acme', 'bob'), id)).rejects.toMatchObject({
    code: 'NOT_FOUND',
  });
  // The ADMIN acting as alice sees alice's view, her uploads included.
  const asAlice = await request(full.app)
    .post('/api/v1/resources')
    .set('X-API-Key', full.keys.get('acme/admin') ?? '')
    .set('X-OpenViking-Account', 'acme')
    .set('X-OpenViking-User', 'alice')
    .send({ temp_file_id: id, to: 'viking://resources/by-admin', wait: true });
  expect(asAlice.status).toBe(200);
});
