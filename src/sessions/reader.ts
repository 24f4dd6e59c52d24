/**
 * Read access to single session messages by id, for the filesystem (which serves
 * `viking://session/{S}/messages/{message_id}`) and the indexer, over a {@link SessionStorage}.
 */
import type { MessageFile, SessionMessageReader } from '../fs/session-messages.js';
import type { SessionMessageSource } from '../indexing/messages.js';
import { isValidId } from '../policy/index.js';
import { parseMessages } from './files.js';
import { LocalSessionStorage } from './local-storage.js';
import type { StoredMessage } from './schema.js';
import type { SessionStorage } from './storage.js';
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

/** One stored message by id; null if the ids are invalid or nothing matches. */
async function findMessage(
  storage: SessionStorage,
  account_id: string,
  session_id: string,
  message_id: string,
): Promise<StoredMessage | null> {
  if (!isValidId(account_id) || !isValidId(session_id) || !isValidId(message_id)) return null;
  const found = await storage.findMessages(account_id, session_id, [message_id]);
  return found.find((m) => m.id === message_id) ?? null;
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
  storage: SessionStorage,
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
  // Every message read on the way is cached, not only the wanted ones.
  for (const m of await storage.findMessages(account_id, session_id, [...wanted])) {
    const peer = m.peer_id ?? null;
    cache.add(key, m.id, peer);
    if (wanted.delete(m.id) && peer !== null) peers.set(m.id, peer);
  }
  // Not stored (any more): a random id never comes back, so it is known to have no peer.
  for (const id of wanted) cache.add(key, id, null);
  return peers;
}

/** The reader of the sessions of one DATA_DIR's local files. */
export function sessionReader(dataDir: string): SessionReader {
  return storageReader(new LocalSessionStorage(dataDir));
}

/** The reader of the sessions in `storage`. */
export function storageReader(storage: SessionStorage): SessionReader {
  const peers = new PeerCache(PEER_CACHE_ENTRIES);
  return {
    async read(account_id, session_id, message_id) {
      const message = await findMessage(storage, account_id, session_id, message_id);
      return message === null ? null : messageJson(message);
    },
    async listMessages(account_id, session_id): Promise<MessageFile[] | null> {
      if (!isValidId(account_id) || !isValidId(session_id)) return null;
      const messages = await storage.allMessages(account_id, session_id);
      return (
        messages?.map((m) => ({
          message_id: m.id,
          size: Buffer.byteLength(messageJson(m)),
          created_at: m.created_at,
        })) ?? null
      );
    },
    async readMessageRecord(account_id, session_id, message_id) {
      const message = await findMessage(storage, account_id, session_id, message_id);
      return message === null ? null : recordOf(message);
    },
    peersOf: (account_id, session_id, message_ids) =>
      peersIn(storage, peers, account_id, session_id, message_ids),
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
