/**
 * The tree the filesystem serves: an account's files, with everything below `viking://session`
 * read from the session storage's own {@link SessionTree} — in both modes, so the session files
 * (meta, live log, archives) have one source, which in distributed mode is PostgreSQL alone.
 * `viking://session` itself is a folder of the file tree (account initialisation makes it); its
 * children are the sessions. Nothing below it is written through here: session files change only
 * through the session API (the access rules refuse such writes earlier; this refuses them too).
 */
import { AppError } from '../errors.js';
import type { SessionTree } from '../sessions/storage.js';
import type { ChildEntry, EntryInfo, FileStorage, LookupOptions, StorageWriteOptions } from './storage.js';

const SESSION_ROOT = 'viking://session';

/** Whether `uri` is below `viking://session` (the scope folder itself is not). */
function belowSessions(uri: string): boolean {
  return uri.startsWith(`${SESSION_ROOT}/`);
}

function refused(uri: string): AppError {
  return new AppError('PERMISSION_DENIED', 'session files are written only through the session API', { uri });
}

/** `files` with `viking://session/…` served by `sessions`. */
export function withSessionTree(files: FileStorage, sessions: SessionTree): FileStorage {
  const writable = (uri: string): void => {
    if (belowSessions(uri)) throw refused(uri);
  };
  return {
    createRoot: (account_id) => files.createRoot(account_id),
    accounts: () => files.accounts(),
    stat: (account_id: string, uri: string, options?: LookupOptions): Promise<EntryInfo | null> =>
      belowSessions(uri) ? sessions.stat(account_id, uri, options) : files.stat(account_id, uri, options),
    blocked: (account_id, uri) => files.blocked(account_id, uri),
    read: (account_id: string, uri: string, options?: LookupOptions): Promise<Buffer | null> =>
      belowSessions(uri) ? sessions.read(account_id, uri, options) : files.read(account_id, uri, options),
    list: (account_id: string, uri: string): Promise<ChildEntry[]> =>
      uri === SESSION_ROOT || belowSessions(uri)
        ? sessions.list(account_id, uri)
        : files.list(account_id, uri),
    write: async (account_id: string, uri: string, data: Buffer, options: StorageWriteOptions) => {
      writable(uri);
      return files.write(account_id, uri, data, options);
    },
    mkdir: async (account_id, uri) => {
      writable(uri);
      return files.mkdir(account_id, uri);
    },
    move: async (account_id, from, to) => {
      writable(from);
      writable(to);
      return files.move(account_id, from, to);
    },
    remove: async (account_id, uri) => {
      writable(uri);
      return files.remove(account_id, uri);
    },
  };
}
