/**
 * The filesystem part of the visibility conformance (filesystem.ts) on PostgreSQL: the same cases
 * as visibility.test.ts runs on the local files, through the Vfs the server composes in distributed
 * mode (src/wiring/storages.ts: files in PostgreSQL, `viking://session` from the session rows).
 * Folders are made in the file tree; a session-scope entry is what the session API would store — a
 * session (a folder), or a message served as `viking://session/{S}/messages/{id}`.
 */
import { tmpdir } from 'node:os';
import { PgFileStorage } from '../../src/storage/pg/files.js';
import type { Vfs } from '../../src/fs/vfs.js';
import type { ResolvedUri } from '../../src/policy/index.js';
import { pgStorages, type Storages } from '../../src/wiring/storages.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { filesystemCases, vfsOver, type Placed } from './filesystem.js';

let db: TestDatabase;
let storages: Storages;
let vfs: Vfs;

beforeAll(async () => {
  db = await createTestDatabase();
  storages = pgStorages(db.pool);
  vfs = vfsOver(storages, tmpdir());
});
afterAll(() => db.drop());

/** A session entry as the session API stores it: the session, or one of its messages. */
async function placeSession(account: string, resolved: ResolvedUri): Promise<Placed> {
  const [, session_id, folder, message_id, ...rest] = resolved.segments;
  if (session_id === undefined) return { isDir: true, content: '' };
  if (folder === undefined) {
    await storages.sessions.create(account, session_id, 'creator');
    return { isDir: true, content: '' };
  }
  if (folder !== 'messages' || message_id === undefined || rest.length > 0) {
    throw new Error(`the session API stores nothing at ${resolved.uri}`);
  }
  const message = {
    id: message_id,
    role: 'user',
    role_id: null,
    parts: [{ type: 'text' as const, text: `message of ${resolved.uri}` }],
    created_at: new Date().toISOString(),
  };
  await storages.sessions.append(account, session_id, 'creator', [message]);
  return { isDir: false, content: `${JSON.stringify(message, null, 2)}\n` };
}

describe('3. filesystem on PostgreSQL', () => {
  filesystemCases(() => ({
    vfs,
    async place(account, resolved, isFolder, content) {
      if (resolved.scope === 'session') return placeSession(account, resolved);
      // Files are written through the Vfs by the runner; only folders get here.
      if (isFolder) await new PgFileStorage(db.pool).mkdir(account, resolved.uri);
      return { isDir: isFolder, content };
    },
  }));
});
