/**
 * Issue 26, packs: `importOVPack(file, parent, {onConflict, vectorMode})`, `backupOVPack` and
 * `restoreOVPack` of OpenViking's TypeScript SDK, sent as it sends them. `on_conflict` was ignored
 * before (an existing root was always 409 "import with force: true"); `overwrite` and `skip` never
 * write outside what the caller may write, and a restore of scopes the caller may not write is
 * refused whole.
 */
import { unzipSync } from 'fflate';
import type { Response } from 'supertest';
import { z } from 'zod';
import { errorCodeOf, fullApp, type Client, type FullApp } from '../helpers/full-app.js';
import { resultOf } from '../helpers/http-app.js';
import { sdk } from './sdk-requests.js';

const ALICE = { account: 'acme', user: 'alice' };
const BOB = { account: 'acme', user: 'bob' };
const BOSS = { account: 'acme', user: 'boss' };
const ROOT = { account: 'acme', user: 'alice', root: true };

function binary(res: Response, done: (err: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => done(null, Buffer.concat(chunks)));
}

let t: FullApp;
const write = (c: Client, uri: string, content: string) =>
  c.post('/api/v1/content/write').send({ uri, content }).expect(200);
const read = async (c: Client, uri: string) => resultOf(await c.get('/api/v1/content/read').query({ uri }));

async function uploadId(c: Client, data: Buffer, name = 'p.ovpack'): Promise<string> {
  const res = await sdk(c).upload(data, name);
  return z.object({ result: z.object({ temp_file_id: z.string() }) }).parse(res.body).result.temp_file_id;
}

async function exported(c: Client, uri: string): Promise<Buffer> {
  const res = await c.post('/api/v1/pack/export').send({ uri }).buffer(true).parse(binary).expect(200);
  return res.body as Buffer;
}

async function backup(c: Client): Promise<{ res: Response; names: string[]; data: Buffer }> {
  const res = await sdk(c).backupOVPack().buffer(true).parse(binary);
  if (res.status !== 200) return { res, names: [], data: Buffer.alloc(0) };
  const data = res.body as Buffer;
  return { res, names: Object.keys(unzipSync(data)).sort(), data };
}

beforeAll(async () => {
  t = await fullApp({ accounts: [{ account_id: 'acme', admin: 'boss', users: ['alice', 'bob'] }] });
  const alice = t.client(ALICE);
  await write(alice, 'viking://resources/docs/a.md', 'alpha v1');
  await write(alice, 'viking://resources/docs/b.md', 'beta v1');
  await write(alice, 'viking://user/memories/mine.md', 'alice memory');
  await write(t.client(BOSS), 'viking://user/memories/boss.md', 'boss memory');
});
afterAll(() => t.close());

describe('importOVPack', () => {
  test('on_conflict overwrite replaces the pack’s files (the old code answered 409)', async () => {
    const alice = t.client(ALICE);
    const pack = await exported(alice, 'viking://resources/docs');
    await write(alice, 'viking://resources/docs/a.md', 'alpha v2');
    await write(alice, 'viking://resources/docs/extra.md', 'kept');
    const res = await sdk(alice)
      .importOVPack(await uploadId(alice, pack), 'resources', { onConflict: 'overwrite', vectorMode: 'auto' })
      .expect(200);
    expect(resultOf(res)).toEqual({ uri: 'viking://resources/docs', written: 2, skipped: 0, warnings: [] });
    expect(await read(alice, 'viking://resources/docs/a.md')).toBe('alpha v1');
    expect(await read(alice, 'viking://resources/docs/extra.md')).toBe('kept');
  });

  test('on_conflict skip writes only missing files', async () => {
    const alice = t.client(ALICE);
    const pack = await exported(alice, 'viking://resources/docs');
    await write(alice, 'viking://resources/docs/a.md', 'alpha v3');
    await alice.delete('/api/v1/fs').query({ uri: 'viking://resources/docs/b.md' }).expect(200);
    const res = await sdk(alice)
      .importOVPack(await uploadId(alice, pack), 'viking://resources', { onConflict: 'skip' })
      .expect(200);
    expect(resultOf(res)).toEqual({ uri: 'viking://resources/docs', written: 1, skipped: 2, warnings: [] });
    expect(await read(alice, 'viking://resources/docs/a.md')).toBe('alpha v3');
    expect(await read(alice, 'viking://resources/docs/b.md')).toBe('beta v1');
  });

  test('on_conflict fail (and no option) refuses an existing root; force: true still overwrites', async () => {
    const alice = t.client(ALICE);
    const pack = await exported(alice, 'viking://resources/docs');
    const failed = await sdk(alice).importOVPack(await uploadId(alice, pack), 'viking://resources', {
      onConflict: 'fail',
    });
    expect(failed.status).toBe(409);
    await sdk(alice)
      .importOVPack(await uploadId(alice, pack), 'viking://resources')
      .expect(409);
    await alice
      .post('/api/v1/pack/import')
      .send({ temp_file_id: await uploadId(alice, pack), parent: 'viking://resources', force: true })
      .expect(200);
  });

  test('vector_mode require is refused (our packs carry no vectors); recompute imports', async () => {
    const alice = t.client(ALICE);
    const pack = await exported(alice, 'viking://resources/docs');
    const res = await sdk(alice).importOVPack(await uploadId(alice, pack), 'viking://resources/copy', {
      vectorMode: 'require',
    });
    expect(res.status).toBe(412);
    expect(errorCodeOf(res)).toBe('FAILED_PRECONDITION');
    await sdk(alice)
      .importOVPack(await uploadId(alice, pack), 'viking://resources/copy', { vectorMode: 'recompute' })
      .expect(200);
    await sdk(alice).importOVPack('x', 'viking://resources', { onConflict: 'replace' }).expect(400);
  });

  test.each(['overwrite', 'skip'])(
    'isolation: on_conflict %s into another user’s memories is 403 and writes nothing',
    async (onConflict) => {
      const alice = t.client(ALICE);
      const bob = t.client(BOB);
      const pack = await exported(alice, 'viking://user/alice/memories');
      const id = await uploadId(bob, pack);
      const res = await sdk(bob).importOVPack(id, 'viking://user/alice', { onConflict });
      expect(res.status).toBe(403);
      expect(await read(alice, 'viking://user/alice/memories/mine.md')).toBe('alice memory');
    },
  );
});

describe('backupOVPack and restoreOVPack', () => {
  test('a USER may neither back up nor restore', async () => {
    const { res } = await backup(t.client(ALICE));
    expect(res.status).toBe(403);
    await sdk(t.client(ALICE)).restoreOVPack('upload_x.ovpack').expect(403);
  });

  test('an ADMIN’s backup holds what it may read, not other users’ memories', async () => {
    const { res, names } = await backup(t.client(BOSS));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/zip');
    expect(names).toEqual(
      expect.arrayContaining([
        'openviking-backup/resources/docs/a.md',
        'openviking-backup/user/boss/memories/boss.md',
      ]),
    );
    expect(names.filter((n) => n.includes('/user/alice') || n.includes('/session'))).toEqual([]);
  });

  test('ROOT restores in place: fail refuses existing files, skip restores the missing ones', async () => {
    const root = t.client(ROOT);
    const { names, data } = await backup(root);
    expect(names).toEqual(expect.arrayContaining(['openviking-backup/user/alice/memories/mine.md']));
    await root.delete('/api/v1/fs').query({ uri: 'viking://resources/docs/b.md' }).expect(200);
    const failed = await sdk(root).restoreOVPack(await uploadId(root, data));
    expect(failed.status).toBe(409);
    await root.get('/api/v1/fs/stat').query({ uri: 'viking://resources/docs/b.md' }).expect(404);
    const res = await sdk(root)
      .restoreOVPack(await uploadId(root, data), { onConflict: 'skip' })
      .expect(200);
    expect(resultOf(res)).toMatchObject({ uri: 'viking://', written: 1 });
    expect(await read(root, 'viking://resources/docs/b.md')).toBe('beta v1');
  });

  test('isolation: an ADMIN restoring a backup with another user’s memories is refused whole', async () => {
    const root = t.client(ROOT);
    const { data } = await backup(root);
    await root.delete('/api/v1/fs').query({ uri: 'viking://resources/docs/b.md' }).expect(200);
    await write(root, 'viking://user/alice/memories/mine.md', 'alice memory v2');
    const boss = t.client(BOSS);
    const res = await sdk(boss).restoreOVPack(await uploadId(boss, data), { onConflict: 'overwrite' });
    expect(res.status).toBe(403);
    expect(await read(root, 'viking://user/alice/memories/mine.md')).toBe('alice memory v2');
    await root.get('/api/v1/fs/stat').query({ uri: 'viking://resources/docs/b.md' }).expect(404);
  });

  test('an export is not a backup: restore refuses it', async () => {
    const root = t.client(ROOT);
    const pack = await exported(root, 'viking://resources/docs');
    const res = await sdk(root).restoreOVPack(await uploadId(root, pack));
    expect(res.status).toBe(400);
  });
});
