/**
 * One committed archive of a session as OpenViking's `GET /sessions/{id}/archives/{archive_id}`
 * returns it: `{archive_id, abstract, overview, messages}`.
 */
import { ABSTRACT_FILE, MESSAGES_FILE, OVERVIEW_FILE, archiveName, parseMessages } from './files.js';
import type { StoredMessage } from './schema.js';
import type { SessionStorage } from './storage.js';

export interface SessionArchive {
  archive_id: string;
  abstract: string;
  overview: string;
  messages: StoredMessage[];
}

/** The archive named `archive_id` (`archive_001`), or null if the session has none of that name. */
export async function readArchive(
  storage: SessionStorage,
  account_id: string,
  session_id: string,
  archive_id: string,
): Promise<SessionArchive | null> {
  const numbers = await storage.archiveNumbers(account_id, session_id);
  const n = numbers.find((number) => archiveName(number) === archive_id);
  if (n === undefined) return null;
  const read = (file: string) => storage.readArchiveFile(account_id, session_id, n, file);
  return {
    archive_id,
    abstract: await read(ABSTRACT_FILE),
    overview: await read(OVERVIEW_FILE),
    messages: parseMessages(await read(MESSAGES_FILE), `${session_id} ${archive_id}`),
  };
}
