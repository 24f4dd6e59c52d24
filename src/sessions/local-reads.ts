/**
 * Reads of messages across a session's local files (the live log and the archives), for
 * {@link LocalSessionStorage}: by id, and all of them in order. No lock: appends are whole lines and
 * commits replace files atomically.
 */
import { MESSAGES_FILE, archiveName, parseMessages, type SessionFiles } from './files.js';
import type { StoredMessage } from './schema.js';

/**
 * The messages of the files that hold any of `message_ids`: the live log first, then the archives,
 * newest first, until every id was seen. Files that mention none of the ids are not parsed.
 */
export async function findMessages(
  files: SessionFiles,
  account_id: string,
  session_id: string,
  message_ids: readonly string[],
): Promise<StoredMessage[]> {
  const wanted = new Set(message_ids);
  const found: StoredMessage[] = [];
  const visit = (text: string, where: string): void => {
    // A cheap pre-check, so a lookup does not parse every line of every archive.
    if (![...wanted].some((id) => text.includes(`"${id}"`))) return;
    for (const m of parseMessages(text, where)) {
      found.push(m);
      wanted.delete(m.id);
    }
  };
  if (wanted.size === 0) return found;
  const livePath = files.messagesPath(account_id, session_id);
  visit(await files.readText(livePath), livePath);
  for (const n of (await files.archiveNumbers(account_id, session_id)).reverse()) {
    if (wanted.size === 0) break;
    const text = await files.readArchiveFile(account_id, session_id, n, MESSAGES_FILE);
    visit(text, `${session_id} ${archiveName(n)}`);
  }
  return found;
}

/**
 * Every stored message of a session, oldest archive first, then the live log, each once (a crash
 * during a commit can leave a message both archived and live); null without a session.
 */
export async function allMessages(
  files: SessionFiles,
  account_id: string,
  session_id: string,
): Promise<StoredMessage[] | null> {
  if ((await files.readMeta(account_id, session_id)).state === 'missing') return null;
  const out: StoredMessage[] = [];
  for (const n of await files.archiveNumbers(account_id, session_id)) {
    const text = await files.readArchiveFile(account_id, session_id, n, MESSAGES_FILE);
    out.push(...parseMessages(text, `${session_id} ${archiveName(n)}`));
  }
  const livePath = files.messagesPath(account_id, session_id);
  out.push(...parseMessages(await files.readText(livePath), livePath));
  const seen = new Set<string>();
  return out.filter((m) => {
    if (seen.has(m.id)) return false;
    seen.add(m.id);
    return true;
  });
}
