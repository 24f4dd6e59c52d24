/**
 * Repair of a session's `.meta.json` (issue 14): a meta that is truncated, unreadable or missing
 * beside its message log is rebuilt from `messages.jsonl` and the archives, and written back
 * atomically, so a damaged meta costs a warning in the log instead of the session.
 */
import { logger } from '../log.js';
import { MESSAGES_FILE, archiveName, parseMessages, type SessionFiles } from './files.js';
import { rebuildMeta } from './meta.js';
import type { SessionMeta, StoredMessage } from './schema.js';

/**
 * Rebuilds and stores the meta of `session_id`; the caller holds the session's lock. If the rebuilt
 * meta cannot be stored (a read-only or full disk) it is still returned: reads keep working, and the
 * next change stores a meta anyway.
 */
export async function repairMeta(
  files: SessionFiles,
  account_id: string,
  session_id: string,
  creator: string,
): Promise<SessionMeta> {
  const numbers = await files.archiveNumbers(account_id, session_id);
  const archived: StoredMessage[] = [];
  for (const n of numbers) {
    const text = await files.readArchiveFile(account_id, session_id, n, MESSAGES_FILE);
    archived.push(...parseMessages(text, `${session_id} ${archiveName(n)}`));
  }
  const live = await files.readMessagesAt(files.messagesPath(account_id, session_id));
  const now = new Date().toISOString();
  const meta = rebuildMeta(
    { session_id, archived, live, commit_count: numbers.at(-1) ?? 0 },
    { creator, now },
  );
  const where = { account_id, session_id, messages: live.length, archives: numbers.length };
  logger.warn(where, 'session meta was unreadable or missing; rebuilt it from the message log');
  await files.writeMeta(account_id, meta).catch((error: unknown) => {
    logger.warn({ ...where, err: error }, 'could not store the rebuilt session meta');
  });
  return meta;
}
