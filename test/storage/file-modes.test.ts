/**
 * Issue 23 (hardening): every file under DATA_DIR is 0600 and every folder 0700 — uploads, the index
 * journal, accounts, files, sessions — whatever the process umask (this test runs with the usual
 * 022). LanceDB's own files are left out here: the server makes them owner-only through its umask
 * (src/storage/modes.ts, set in main.ts), which a test process does not change.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fullApp, type FullApp } from '../helpers/full-app.js';

let full: FullApp;
beforeAll(async () => {
  full = await fullApp({ accounts: [{ account_id: 'acme', users: ['alice'] }] });
});
afterAll(() => full.close());

async function walk(dir: string, out: { path: string; mode: number; dir: boolean }[] = []) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (path === join(full.dataDir, 'lancedb')) continue;
    out.push({ path, mode: (await stat(path)).mode & 0o777, dir: entry.isDirectory() });
    if (entry.isDirectory()) await walk(path, out);
  }
  return out;
}

test('uploads, the index journal, files, sessions and account records are owner-only', async () => {
  const alice = full.client({ account: 'acme', user: 'alice' });
  await alice
    .post('/api/v1/resources/temp_upload')
    .attach('file', Buffer.from('# notes\n'), 'notes.md')
    .expect(200);
  await alice
    .post('/api/v1/content/write')
    .send({ uri: 'viking://resources/docs/a.md', content: 'hello', wait: true })
    .expect(200);
  const session = await alice.post('/api/v1/sessions').send({}).expect(200);
  const id = (session.body as { result: { session_id: string } }).result.session_id;
  await alice.post(`/api/v1/sessions/${id}/messages`).send({ role: 'user', content: 'hi' }).expect(200);
  const entries = await walk(full.dataDir);
  const names = entries.map((e) => e.path.slice(full.dataDir.length));
  expect(names).toEqual(expect.arrayContaining(['/index/queue.jsonl', '/uploads', '/uploads/acme']));
  expect(names.some((n) => /^\/uploads\/acme\/upload_[0-9a-f]{32}\.md$/.test(n))).toBe(true);
  const wrong = entries
    .filter((e) => e.mode !== (e.dir ? 0o700 : 0o600))
    .map((e) => `${e.path.slice(full.dataDir.length)} ${e.mode.toString(8)}`);
  expect(wrong).toEqual([]);
  expect((await stat(full.dataDir)).mode & 0o777).toBe(0o700);
});
