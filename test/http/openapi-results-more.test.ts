/**
 * Issue 28: the skills, pack import/restore, content/reindex, system/consistency and system/backup
 * answers are typed in the OpenAPI document (not `result: {}`), and real answers of the running app
 * validate against those types.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strToU8, zipSync } from 'fflate';
import type { Response } from 'superagent';
import { documentedAnswers, type DocumentedAnswers } from '../helpers/openapi-answers.js';
import { fullApp, type FullApp } from '../helpers/full-app.js';

let env: FullApp;
let doc: DocumentedAnswers;

beforeAll(async () => {
  env = await fullApp({ accounts: [{ account_id: 'acme', admin: 'boss', users: ['alice'] }] });
  doc = await documentedAnswers(env.app);
});
afterAll(() => env.close());

const TYPED = [
  ['post', '/api/v1/skills'],
  ['get', '/api/v1/skills'],
  ['post', '/api/v1/skills/find'],
  ['post', '/api/v1/skills/validate'],
  ['get', '/api/v1/skills/:name'],
  ['put', '/api/v1/skills/:name'],
  ['delete', '/api/v1/skills/:name'],
  ['post', '/api/v1/pack/import'],
  ['post', '/api/v1/pack/restore'],
  ['post', '/api/v1/content/reindex'],
  ['post', '/api/v1/system/consistency'],
  ['post', '/api/v1/system/backup'],
] as const;

test.each(TYPED)('%s %s has a typed result', (method, route) => {
  const schema = doc.resultSchema(method, route);
  expect(schema).toBeDefined();
  expect(schema).not.toEqual({});
});

/** Reads a zip answer as bytes. */
function binary(res: Response, done: (err: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => done(null, Buffer.concat(chunks)));
}

const BREW = { name: 'brew-tea', description: 'Brews tea', content: '# Brew tea\n\nBoil water.' };

test('skills answer as documented', async () => {
  const c = env.client({ account: 'acme', user: 'alice' });
  await doc.conforms('post', '/api/v1/skills', c.post('/api/v1/skills').send({ data: BREW, wait: true }));
  await doc.conforms('get', '/api/v1/skills', c.get('/api/v1/skills'));
  await doc.conforms('post', '/api/v1/skills/find', c.post('/api/v1/skills/find').send({ query: 'tea' }));
  const check = c.post('/api/v1/skills/validate').send({ data: { name: 'x' }, strict: true });
  expect(await doc.conforms('post', '/api/v1/skills/validate', check)).toMatchObject({ valid: false });
  const shown = c.get('/api/v1/skills/brew-tea').query({ include_files: true });
  expect(await doc.conforms('get', '/api/v1/skills/:name', shown)).toMatchObject({ name: 'brew-tea' });
  const put = c.put('/api/v1/skills/brew-tea').send({ data: BREW, wait: true });
  expect(await doc.conforms('put', '/api/v1/skills/:name', put)).toMatchObject({ action: 'update' });
  await doc.conforms('delete', '/api/v1/skills/:name', c.delete('/api/v1/skills/brew-tea'));
});

test('pack import and restore, reindex, consistency and backup answer as documented', async () => {
  const c = env.client({ account: 'acme', user: 'alice' });
  const upload = async (data: Uint8Array) => {
    const res = await c.post('/api/v1/resources/temp_upload').attach('file', Buffer.from(data), 'p.ovpack');
    return (res.body as { result: { temp_file_id: string } }).result.temp_file_id;
  };
  const pack = zipSync({ 'kit/a.md': strToU8('kit readme') });
  const imported = c
    .post('/api/v1/pack/import')
    .send({ temp_file_id: await upload(pack), parent: 'viking://resources' });
  await doc.conforms('post', '/api/v1/pack/import', imported);
  const reindex = c.post('/api/v1/content/reindex').send({ uri: 'viking://resources/kit', wait: true });
  await doc.conforms('post', '/api/v1/content/reindex', reindex);
  const check = c.post('/api/v1/system/consistency').send({ uri: 'viking://resources' });
  await doc.conforms('post', '/api/v1/system/consistency', check);
  // pack/restore is ROOT's or ADMIN's: a backup of nothing new written back (skip what exists).
  const boss = env.client({ account: 'acme', user: 'boss' });
  const backup = await boss.post('/api/v1/pack/backup').send({}).buffer(true).parse(binary);
  const restoreId = await (async () => {
    const res = await boss
      .post('/api/v1/resources/temp_upload')
      .attach('file', backup.body as Buffer, 'b.ovpack');
    return (res.body as { result: { temp_file_id: string } }).result.temp_file_id;
  })();
  const restore = boss.post('/api/v1/pack/restore').send({ temp_file_id: restoreId, on_conflict: 'skip' });
  await doc.conforms('post', '/api/v1/pack/restore', restore);
  const dir = await mkdtemp(join(tmpdir(), 'vs-openapi-backup-'));
  try {
    const dest = join(dir, 'b0');
    const taken = env.root().post('/api/v1/system/backup').send({ dest });
    expect(await doc.conforms('post', '/api/v1/system/backup', taken)).toMatchObject({ dest });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
