/**
 * Symbolic links under DATA_DIR. No API creates one, but one placed on disk (by an operator's copy,
 * a restore, a bulk import of a tree with links) must not let an account reach outside its own
 * folder: a path through a link behaves as if nothing were there (404 on reads, 409 on writes), a
 * linked `.abstract.md` shows nothing in listings, and nothing of the target is indexed.
 */
import { mkdir, readFile, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { allHits, errorCodeOf, fullApp, searchResultOf, type FullApp } from '../helpers/full-app.js';

let w: FullApp;
const other = (...rest: string[]) => join(w.dataDir, 'fs', 'other', ...rest);
const acme = (...rest: string[]) => join(w.dataDir, 'fs', 'acme', ...rest);

beforeAll(async () => {
  w = await fullApp({ accounts: [{ account_id: 'acme', users: ['bob'] }, { account_id: 'other' }] });
  const owner = w.client({ account: 'other', user: 'admin' });
  await owner.post('/api/v1/content/write').send({ uri: 'viking://resources/o.md', content: 'othersecret' });
  await owner.post('/api/v1/sessions/s1/messages').send({ role: 'user', content: 'othersecret' });
  await owner.post('/api/v1/system/wait');
  await mkdir(acme('resources', 'docs'), { recursive: true });
  await symlink(other(), acme('resources', 'link'));
  await symlink(other('resources', 'o.md'), acme('resources', 'docs', '.abstract.md'));
  await symlink(other('session', 's1'), acme('session', 's1'));
});
afterAll(async () => w.close());

const bob = () => w.client({ account: 'acme', user: 'bob' });

test('reads through a linked folder find nothing', async () => {
  for (const path of [
    '/api/v1/content/read?uri=viking://resources/link/resources/o.md',
    '/api/v1/fs/stat?uri=viking://resources/link/resources/o.md',
    '/api/v1/fs/ls?uri=viking://resources/link/resources',
    '/api/v1/fs/tree?uri=viking://resources/link',
    '/api/v1/content/abstract?uri=viking://resources/link/resources',
  ]) {
    const res = await bob().get(path);
    expect([path, res.status]).toEqual([path, 404]);
  }
  for (const body of [
    { uri: 'viking://resources/link/resources', pattern: 'secret' },
    { uri: 'viking://resources/link/resources', pattern: '**' },
  ]) {
    const route = 'pattern' in body && body.pattern === '**' ? 'glob' : 'grep';
    expect((await bob().post(`/api/v1/search/${route}`).send(body)).status).toBe(404);
  }
});

test('writes, moves and removals through a linked folder are refused and change nothing', async () => {
  const target = 'viking://resources/link/resources/o.md';
  const refused = [
    await bob().post('/api/v1/content/write').send({ uri: target, content: 'overwritten' }),
    await bob()
      .post('/api/v1/content/write')
      .send({ uri: 'viking://resources/link/resources/new.md', content: 'x' }),
    await bob().post('/api/v1/fs/mkdir').send({ uri: 'viking://resources/link/resources/dir' }),
    await bob().delete(`/api/v1/fs?uri=${target}`),
    await bob().post('/api/v1/fs/mv').send({ from_uri: target, to_uri: 'viking://resources/stolen.md' }),
    await bob()
      .post('/api/v1/fs/mv')
      .send({ from_uri: 'viking://resources/docs', to_uri: 'viking://resources/link/resources/docs' }),
  ];
  expect(refused.map((r) => errorCodeOf(r))).toEqual([
    'CONFLICT',
    'CONFLICT',
    'CONFLICT',
    'CONFLICT',
    'CONFLICT',
    'CONFLICT',
  ]);
  expect(await readFile(other('resources', 'o.md'), 'utf8')).toBe('othersecret');
});

test('a linked .abstract.md shows nothing in listings and summaries', async () => {
  const listed = await bob().get('/api/v1/fs/ls?uri=viking://resources');
  expect(JSON.stringify(listed.body)).not.toContain('othersecret');
  const summary = await bob().get('/api/v1/content/abstract?uri=viking://resources/docs');
  expect(JSON.stringify(summary.body)).not.toContain('othersecret');
});

test('a linked session folder is not another account’s session', async () => {
  const sessions = await bob().get('/api/v1/sessions');
  expect(JSON.stringify(sessions.body)).not.toContain('s1');
  expect((await bob().get('/api/v1/sessions/s1/context')).status).toBe(404);
  const log = other('session', 's1', 'messages.jsonl');
  const before = await readFile(log, 'utf8');
  const id = z.object({ id: z.string() }).parse(JSON.parse(before.split('\n')[0] ?? '')).id;
  const message = await bob().get(`/api/v1/content/read?uri=viking://session/s1/messages/${id}`);
  expect(errorCodeOf(message)).toBe('NOT_FOUND');
  const added = await bob().post('/api/v1/sessions/s1/messages').send({ role: 'user', content: 'planted' });
  expect(errorCodeOf(added)).toBe('CONFLICT');
  expect(errorCodeOf(await bob().post('/api/v1/sessions/s1/commit'))).toBe('NOT_FOUND');
  expect(await readFile(log, 'utf8')).toBe(before);
  expect(JSON.stringify((await bob().get('/api/v1/fs/tree?uri=viking://session')).body)).not.toContain(
    'othersecret',
  );
  await bob().post('/api/v1/system/wait');
  const found = searchResultOf(await bob().post('/api/v1/search/find').send({ query: 'othersecret' }));
  expect(allHits(found)).toEqual([]);
});
