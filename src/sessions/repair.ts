/**
 * Repair of a session's `.meta.json` (issue 14): a meta that is truncated, unreadable or missing
 * beside its message log is rebuilt from `messages.jsonl`, the archives and the usage logs, and written back
 * atomically, so a damaged meta costs a warning in the log instead of the session.
 */
import { join } from 'node:path';
import { logger } from '../log.js';
import { MESSAGES_FILE, archiveName, parseMessages, type SessionFiles } from './files.js';
import { rebuildMeta } from './meta.js';
import type { SessionMeta, StoredMessage } from './schema.js';
import { USED_FILE, parseUsages, type Usage } from './usage.js';

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
  const usages: Usage[] = [];
  for (const n of numbers) {
    const text = await files.readArchiveFile(account_id, session_id, n, MESSAGES_FILE);
    archived.push(...parseMessages(text, `${session_id} ${archiveName(n)}`));
    usages.push(...parseUsages(await files.readArchiveFile(account_id, session_id, n, USED_FILE)));
  }
  const live = await files.readMessagesAt(files.messagesPath(account_id, session_id));
  const pending = await files.readText(join(files.dir(account_id, session_id), USED_FILE));
  usages.push(...parseUsages(pending));
  const now = new Date().toISOString();
  const meta = rebuildMeta(
    { session_id, archived, live, commit_count: numbers.at(-1) ?? 0, usages },
    { creator, now },
  );
  const where = { account_id, session_id, messages: live.length, archives: numbers.length };
  logger.warn(where, 'session meta was unreadable or missing; rebuilt it from the message log');
  await files.writeMeta(account_id, meta).catch((error: unknown) => {
    logger.warn({ ...where, err: error }, 'could not store the rebuilt session meta');
  });
  return meta;
}
