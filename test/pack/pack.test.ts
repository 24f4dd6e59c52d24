/**
 * Pack export and import end to end: the `.ovpack` layout, a round trip that search finds, the
 * caller's visibility on both sides (a USER cannot export or import over another user's memories),
 * and bad packs (corrupt, zip-slip, absolute, several roots, binary, oversized, conflicting) refused
 * with a clear 4xx and nothing written.
 */
import { strToU8, unzipSync, zipSync, type Zippable } from 'fflate';
import type { Response } from 'supertest';
import { z } from 'zod';
import { errorCodeOf, fullApp, searchResultOf, type Client, type FullApp } from '../helpers/full-app.js';
import { at, resultOf } from '../helpers/http-app.js';

const ALICE = { account: 'acme', user: 'alice' };
const BOB = { account: 'acme', user: 'bob' };

/** Collects a binary response body (supertest buffers only known binary types by default). */
function binary(res: Response, done: (err: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => done(null, Buffer.concat(chunks)));
}

describe('pack export and import', () => {
  let t: FullApp;
  let alice: Client;
  beforeAll(async () => {
    t = await fullApp({
      accounts: [{ account_id: 'acme', users: ['alice', 'bob'] }],
      env: { MAX_FILE_BYTES: '65536' },
    });
    alice = t.client(ALICE);
    const write = (c: Client, uri: string, content: string) =>
      c.post('/api/v1/content/write').send({ uri, content }).expect(200);
    await alice
      .post('/api/v1/fs/mkdir')
      .send({ uri: 'viking://resources/docs', description: 'Docs' })
      .expect(200);
    await write(alice, 'viking://resources/docs/a.md', '# A\nalpha text');
    await write(alice, 'viking://resources/docs/sub/b.md', 'the wombatine procedure');
    await write(alice, 'viking://user/memories/mine.md', 'alice memory');
    await write(t.client(BOB), 'viking://user/memories/secret.md', 'bob secret');
  });
  afterAll(() => t.close());

  async function exportPack(
    c: Client,
    uri: string,
  ): Promise<{ res: Response; files: Record<string, string> }> {
    const res = await c.post('/api/v1/pack/export').send({ uri }).buffer(true).parse(binary);
    if (res.status !== 200) return { res, files: {} };
    const files = Object.fromEntries(
      Object.entries(unzipSync(res.body as Buffer)).map(([k, v]) => [k, Buffer.from(v).toString()]),
    );
    return { res, files };
  }

  async function upload(c: Client, data: Uint8Array): Promise<string> {
    const res = await c.post('/api/v1/resources/temp_upload').attach('file', Buffer.from(data), 'p.ovpack');
    return z.object({ result: z.object({ temp_file_id: z.string() }) }).parse(res.body).result.temp_file_id;
  }

  async function importPack(c: Client, data: Uint8Array, parent: string, force = false) {
    return c.post('/api/v1/pack/import').send({ temp_file_id: await upload(c, data), parent, force });
  }

  async function tree(c: Client, uri: string): Promise<unknown> {
    const res = await c
      .get('/api/v1/fs/ls')
      .query({ uri, recursive: true, simple: true, show_all_hidden: true });
    return res.status === 200 ? resultOf(res) : res.status;
  }

  // docs/ and docs/sub/ also hold generated summaries (fs/summaries.ts): never exported.
  test('an export is an .ovpack zip in OpenViking layout', async () => {
    const { res, files } = await exportPack(alice, 'viking://resources/docs');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/zip');
    expect(res.headers['content-disposition']).toContain('filename="docs.ovpack"');
    expect(Object.keys(files).sort()).toEqual([
      'docs/',
      'docs/_._abstract.md',
      'docs/a.md',
      'docs/sub/',
      'docs/sub/b.md',
    ]);
    expect(files['docs/sub/b.md']).toBe('the wombatine procedure');
  });

  test('export and import round-trip into another folder, and search finds the imported text', async () => {
    const { files } = await exportPack(alice, 'viking://resources/docs');
    const pack = zipSync(Object.fromEntries(Object.entries(files).map(([k, v]) => [k, strToU8(v)])));
    const res = await importPack(alice, pack, 'viking://resources/restored');
    expect(resultOf(res)).toEqual({
      uri: 'viking://resources/restored/docs',
      written: 3,
      skipped: 0,
      warnings: [],
    });
    const read = await alice
      .get('/api/v1/content/read')
      .query({ uri: 'viking://resources/restored/docs/sub/b.md' });
    expect(resultOf(read)).toBe('the wombatine procedure');
    const abstract = await alice
      .get('/api/v1/content/abstract')
      .query({ uri: 'viking://resources/restored/docs' });
    expect(resultOf(abstract)).toBe('Docs');
    await alice.post('/api/v1/system/wait').send({}).expect(200);
    const found = searchResultOf(await alice.post('/api/v1/search/find').send({ query: 'wombatine' }));
    expect(found.resources.map((h) => h.uri)).toContain('viking://resources/restored/docs/sub/b.md');

    const again = await importPack(alice, pack, 'viking://resources/restored');
    expect(again.status).toBe(409);
    expect(errorCodeOf(again)).toBe('ALREADY_EXISTS');
    expect((await importPack(alice, pack, 'viking://resources/restored', true)).status).toBe(200);
  });

  test('an import skips hidden files (not the folder summaries) and dependency folders, and lists them', async () => {
    const pack = zipSync({
      'kit/a.md': strToU8('kit readme'),
      'kit/_._abstract.md': strToU8('The kit'),
      'kit/_._env': strToU8('SECRET=hunter2'),
      'kit/node_modules/p/index.md': strToU8('dependency'),
    });
    const res = await importPack(alice, pack, 'viking://resources/imported-kit');
    expect(resultOf(res)).toEqual({
      uri: 'viking://resources/imported-kit/kit',
      written: 2,
      skipped: 0,
      warnings: [
        'skipped .env: hidden file, never imported',
        'skipped node_modules/: folder of dependencies or tool metadata, never imported',
      ],
    });
    // The pack's abstract stays; the overview it lacked is generated (fs/summaries.ts).
    expect(await tree(alice, 'viking://resources/imported-kit/kit')).toEqual([
      'viking://resources/imported-kit/kit/.abstract.md',
      'viking://resources/imported-kit/kit/.overview.md',
      'viking://resources/imported-kit/kit/a.md',
    ]);
  });

  test('a single file exports as a one-entry pack and imports back as a file', async () => {
    const { files } = await exportPack(alice, 'viking://resources/docs/a.md');
    expect(files).toEqual({ 'a.md': '# A\nalpha text' });
    const res = await importPack(
      alice,
      zipSync({ 'a.md': strToU8('# A\nalpha text') }),
      'viking://resources/single',
    );
    expect(at(res, 'uri')).toBe('viking://resources/single/a.md');
  });

  test("an export holds only what the caller may read; another user's scope is refused", async () => {
    const { files } = await exportPack(alice, 'viking://user');
    const names = Object.keys(files);
    expect(names).toContain('user/alice/memories/mine.md');
    expect(names.some((n) => n.includes('bob'))).toBe(false);
    const { res } = await exportPack(alice, 'viking://user/bob/memories');
    expect(res.status).toBe(403);
  });

  test("a user cannot import over another user's memories", async () => {
    const before = await tree(t.client(BOB), 'viking://user/bob');
    const pack = zipSync({ 'memories/secret.md': strToU8('overwritten') });
    const res = await importPack(alice, pack, 'viking://user/bob', true);
    expect(res.status).toBe(403);
    expect(await tree(t.client(BOB), 'viking://user/bob')).toEqual(before);
    const read = await t
      .client(BOB)
      .get('/api/v1/content/read')
      .query({ uri: 'viking://user/bob/memories/secret.md' });
    expect(resultOf(read)).toBe('bob secret');
  });

  const raw = (files: Zippable) => zipSync(files);
  test.each([
    ['a corrupt zip', strToU8('PK\u0003\u0004 definitely not a zip'), 400],
    ['zip-slip', raw({ 'bad/../../escape.md': strToU8('x') }), 400],
    ['an absolute path', raw({ '/etc/passwd.md': strToU8('x') }), 400],
    ['several roots', raw({ 'one/a.md': strToU8('x'), 'two/b.md': strToU8('y') }), 400],
    ['a binary entry', raw({ 'bin/a.md': strToU8('x'), 'bin/b.bin': new Uint8Array([0, 1, 2]) }), 400],
    ['an oversized entry', raw({ 'big/a.md': strToU8('x'), 'big/b.md': strToU8('y'.repeat(70_000)) }), 413],
    // Checked before any write, at write time: x.md cannot be a file and a folder at once.
    [
      'a file where a folder must go',
      raw({ 'clash/x.md': strToU8('x'), 'clash/x.md/y.md': strToU8('y') }),
      409,
    ],
  ])('%s is refused and nothing is written', async (_, pack, status) => {
    const before = await tree(alice, 'viking://resources');
    const res = await importPack(alice, pack, 'viking://resources/bad');
    expect(res.status).toBe(status);
    expect(errorCodeOf(res)).toMatch(/^[A-Z_]+$/);
    expect(await tree(alice, 'viking://resources')).toEqual(before);
  });

  test('import needs an upload of its own account and a valid target', async () => {
    const missing = await alice
      .post('/api/v1/pack/import')
      .send({ temp_file_id: 'upload_00000000000000000000000000000000.ovpack', parent: 'viking://resources' });
    expect(missing.status).toBe(404);
    const bad = await importPack(alice, zipSync({ 'p/a.md': strToU8('x') }), 'viking://nowhere');
    expect(errorCodeOf(bad)).toBe('INVALID_URI');
    const session = await importPack(alice, zipSync({ 'p/a.md': strToU8('x') }), 'viking://session/s1');
    expect(session.status).toBe(403);
  });
});
