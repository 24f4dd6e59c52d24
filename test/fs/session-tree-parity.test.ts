/**
 * `viking://session` reads alike in both modes: the same session changes (create, appends, usages, a
 * commit, an archive file written later, another append) stored through the local files and through
 * PostgreSQL, then the session scope walked, stat'ed and read through the Vfs each mode's storages
 * compose (src/wiring/storages.ts) — the same entries, sizes and contents (times aside). In
 * distributed mode those files exist only as rows: this is what the filesystem and the indexer read.
 */
import { Vfs } from '../../src/fs/index.js';
import { NO_HOOKS } from '../../src/hooks.js';
import type { StoredMessage } from '../../src/sessions/schema.js';
import { storageReader } from '../../src/sessions/reader.js';
import { localStorages, pgStorages, type Storages } from '../../src/wiring/storages.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { tempDir } from '../helpers/temp-dir.js';
import { codeOf, ctxOf } from '../helpers/vfs.js';

const admin = ctxOf('admin', 'alice', 'bot');

const message = (id: string, text: string): StoredMessage => ({
  id,
  role: 'user',
  role_id: null,
  parts: [{ type: 'text', text }],
  created_at: '2026-12-01T10:00:00.000Z',
});

/** Changes one session the way the session service does, then reads the whole scope back. */
async function sessionScope(storages: Storages, dataDir: string): Promise<unknown[]> {
  const { sessions } = storages;
  const vfs = new Vfs({
    dataDir,
    storage: storages.files,
    hooks: NO_HOOKS,
    maxFileBytes: 1 << 20,
    sessionMessages: storageReader(sessions),
  });
  await vfs.initAccount('acme');
  await sessions.create('acme', 's1', 'alice');
  await sessions.create('acme', 's2', 'alice');
  await sessions.append('acme', 's1', 'alice', [message('m1', 'one'), message('m2', 'two')]);
  await sessions.append('acme', 's1', 'alice', [message('m3', 'three')]);
  const usage = {
    uri: 'viking://resources/a.md',
    type: 'context' as const,
    user_id: 'alice',
    timestamp: 'T',
  };
  await sessions.recordUsages('acme', 's1', 'alice', [usage]);
  await sessions.commit('acme', 's1', 'alice', 1, { 'extra.json': '{"k":1}\n' });
  await sessions.writeArchiveFile('acme', 's1', 1, '.extraction.json', '{"done":true}\n');
  await sessions.append('acme', 's1', 'alice', [message('m4', 'four')]);

  const out: unknown[] = [];
  const entries = await vfs.tree(admin, 'viking://session', { levelLimit: 5, showAllHidden: true });
  for (const entry of entries) {
    const stat = await vfs.stat(admin, entry.uri);
    // Times are each storage's clock.
    const listed = { ...entry, modTime: 'T' };
    const stated = { ...stat, modTime: 'T' };
    let content = entry.isDir ? null : await vfs.read(admin, entry.uri);
    // The meta's times are the storage's clock.
    if (entry.uri.endsWith('/.meta.json') && content !== null)
      content = content.replace(/"20\d\d-[^"]*"/g, '"T"');
    out.push({
      listed,
      stated,
      content: content?.length === entry.size ? content : { content, size: entry.size },
    });
  }
  // The tree below viking://session is the session storage's: nothing writes there through files.
  for (const change of [
    () =>
      storages.files.write('acme', 'viking://session/s1/x.md', Buffer.from('x'), {
        mode: 'replace',
        maxBytes: 10,
      }),
    () => storages.files.mkdir('acme', 'viking://session/s3'),
    () => storages.files.remove('acme', 'viking://session/s1'),
    () => storages.files.move('acme', 'viking://session/s1', 'viking://resources/s1'),
  ]) {
    out.push(await codeOf(change()));
  }
  const messages = await vfs.ls(admin, 'viking://session/s1/messages', { simple: true });
  out.push(messages, await vfs.read(admin, 'viking://session/s1/messages/m2'));
  return out;
}

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

test('the session scope lists, stats and reads the same over the local files and PostgreSQL', async () => {
  const dir = tempDir();
  try {
    const local = await sessionScope(localStorages(dir.path), dir.path);
    const pg = await sessionScope(pgStorages(db.pool), dir.path);
    expect(pg).toEqual(local);
    // The walk reached every kind of entry.
    const uris = JSON.stringify(local);
    expect(uris).toContain('"PERMISSION_DENIED","PERMISSION_DENIED","PERMISSION_DENIED","PERMISSION_DENIED"');
    for (const name of [
      's2/.meta.json',
      's1/messages.jsonl',
      'archive_001/.extraction.json',
      'archive_001/extra.json',
    ]) {
      expect(uris).toContain(name);
    }
  } finally {
    dir.remove();
  }
});
