/**
 * Read access to single session messages by id, for the filesystem (which serves
 * `viking://session/{S}/messages/{message_id}`) and the indexer. Searches the live messages first,
 * then the archives, newest first.
 */
import type { MessageFile, SessionMessageReader } from '../fs/session-messages.js';
import type { SessionMessageSource } from '../indexing/messages.js';
import { isValidId } from '../policy/index.js';
import { MESSAGES_FILE, SessionFiles, parseMessages } from './files.js';
import type { StoredMessage } from './schema.js';
import { messageText } from './summary.js';

export type { SessionMessageReader } from '../fs/session-messages.js';

/** What the indexer needs of a message. */
export interface MessageRecord {
  role: string;
  role_id: string | null;
  /** The OpenViking 0.4 `peer_id` label, or null. */
  peer_id: string | null;
  /** The concatenated text parts. */
  text: string;
  created_at: string;
}

function findIn(text: string, message_id: string, where: string): StoredMessage | null {
  // Cheap pre-check so a lookup does not parse every line of every archive.
  if (!text.includes(`"${message_id}"`)) return null;
  return parseMessages(text, where).find((m) => m.id === message_id) ?? null;
}

/** Finds a stored message; null if the ids are invalid or nothing matches. */
export async function findMessage(
  files: SessionFiles,
  account_id: string,
  session_id: string,
  message_id: string,
): Promise<StoredMessage | null> {
  if (!isValidId(account_id) || !isValidId(session_id) || !isValidId(message_id)) return null;
  const livePath = files.messagesPath(account_id, session_id);
  const live = findIn(await files.readText(livePath), message_id, livePath);
  if (live !== null) return live;
  const numbers = await files.archiveNumbers(account_id, session_id);
  for (const n of numbers.reverse()) {
    const text = await files.readArchiveFile(account_id, session_id, n, MESSAGES_FILE);
    const found = findIn(text, message_id, `${session_id} archive ${n}`);
    if (found !== null) return found;
  }
  return null;
}

/**
 * Every stored message of a session, oldest archive first, then the live log, each once (a crash
 * during a commit can leave a message both archived and live); null without a session.
 */
async function allMessages(
  files: SessionFiles,
  account_id: string,
  session_id: string,
): Promise<StoredMessage[] | null> {
  if (!isValidId(account_id) || !isValidId(session_id)) return null;
  if ((await files.readMeta(account_id, session_id)).state === 'missing') return null;
  const out: StoredMessage[] = [];
  for (const n of await files.archiveNumbers(account_id, session_id)) {
    const text = await files.readArchiveFile(account_id, session_id, n, MESSAGES_FILE);
    out.push(...parseMessages(text, `${session_id} archive ${n}`));
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

/** A message as the filesystem serves it. */
const messageJson = (message: StoredMessage): string => `${JSON.stringify(message, null, 2)}\n`;

function recordOf(message: StoredMessage): MessageRecord {
  return {
    role: message.role,
    role_id: message.role_id,
    peer_id: message.peer_id ?? null,
    text: messageText(message),
    created_at: message.created_at,
  };
}

/** Both read paths over one DATA_DIR, without the rest of the service (for the filesystem and indexer). */
export interface SessionReader extends SessionMessageReader {
  readMessageRecord(
    account_id: string,
    session_id: string,
    message_id: string,
  ): Promise<MessageRecord | null>;
  /** The `peer_id` of each of `message_ids` that has one; each file is read once, however many ids. */
  peersOf(
    account_id: string,
    session_id: string,
    message_ids: readonly string[],
  ): Promise<Map<string, string>>;
}

/**
 * The peer (or none) of every message read so far, per session. Message ids are random and a stored
 * message is never rewritten, so an entry never goes stale; past `max` entries the sessions read
 * longest ago are forgotten. Search hits of messages take their `peer_id` from here, so a session's
 * files are read once, not once per search.
 */
class PeerCache {
  private readonly sessions = new Map<string, Map<string, string | null>>();
  private size = 0;

  constructor(private readonly max: number) {}

  get(session: string): ReadonlyMap<string, string | null> | undefined {
    return this.sessions.get(session);
  }

  add(session: string, message_id: string, peer: string | null): void {
    let known = this.sessions.get(session);
    if (known === undefined) this.sessions.set(session, (known = new Map<string, string | null>()));
    if (known.has(message_id)) return;
    known.set(message_id, peer);
    this.size += 1;
    for (const [key, oldest] of this.sessions) {
      if (this.size <= this.max) break;
      this.sessions.delete(key);
      this.size -= oldest.size;
    }
  }
}

/** Messages whose peers the cache keeps at most (a few tens of bytes each). */
const PEER_CACHE_ENTRIES = 200_000;

async function peersIn(
  files: SessionFiles,
  cache: PeerCache,
  account_id: string,
  session_id: string,
  message_ids: readonly string[],
): Promise<Map<string, string>> {
  const peers = new Map<string, string>();
  if (!isValidId(account_id) || !isValidId(session_id)) return peers;
  const key = `${account_id}/${session_id}`;
  const known = cache.get(key);
  const wanted = new Set<string>();
  for (const id of message_ids.filter(isValidId)) {
    const peer = known?.get(id);
    if (peer === undefined) wanted.add(id);
    else if (peer !== null) peers.set(id, peer);
  }
  if (wanted.size === 0) return peers;
  const visit = (text: string, where: string): void => {
    // The same cheap pre-check as a single lookup: most files hold none of the ids.
    if (![...wanted].some((id) => text.includes(`"${id}"`))) return;
    for (const m of parseMessages(text, where)) {
      const peer = m.peer_id ?? null;
      cache.add(key, m.id, peer);
      if (wanted.delete(m.id) && peer !== null) peers.set(m.id, peer);
    }
  };
  const livePath = files.messagesPath(account_id, session_id);
  visit(await files.readText(livePath), livePath);
  for (const n of (await files.archiveNumbers(account_id, session_id)).reverse()) {
    if (wanted.size === 0) break;
    visit(
      await files.readArchiveFile(account_id, session_id, n, MESSAGES_FILE),
      `${session_id} archive ${n}`,
    );
  }
  // Not stored (any more): a random id never comes back, so it is known to have no peer.
  for (const id of wanted) cache.add(key, id, null);
  return peers;
}

export function sessionReader(dataDir: string): SessionReader {
  const files = new SessionFiles(dataDir);
  const peers = new PeerCache(PEER_CACHE_ENTRIES);
  return {
    async read(account_id, session_id, message_id) {
      const message = await findMessage(files, account_id, session_id, message_id);
      return message === null ? null : messageJson(message);
    },
    async listMessages(account_id, session_id): Promise<MessageFile[] | null> {
      const messages = await allMessages(files, account_id, session_id);
      return (
        messages?.map((m) => ({
          message_id: m.id,
          size: Buffer.byteLength(messageJson(m)),
          created_at: m.created_at,
        })) ?? null
      );
    },
    async readMessageRecord(account_id, session_id, message_id) {
      const message = await findMessage(files, account_id, session_id, message_id);
      return message === null ? null : recordOf(message);
    },
    peersOf: (account_id, session_id, message_ids) =>
      peersIn(files, peers, account_id, session_id, message_ids),
  };
}

/** The indexer's view of the sessions `reader` reads (the interface is src/indexing/messages.ts). */
export function indexedMessages(reader: SessionReader): SessionMessageSource {
  return {
    message: (account_id, session_id, message_id) =>
      reader.readMessageRecord(account_id, session_id, message_id),
    messagesIn: (text, where) => parseMessages(text, where).map((m) => ({ id: m.id, message: recordOf(m) })),
  };
}
