/**
 * Virtual session message files (SPEC 9.1): `viking://session/{S}/messages/{message_id}` is readable
 * through the filesystem API and `viking://session/{S}/messages` lists them. The session service owns
 * the storage; the filesystem only asks it.
 */
import type { ResolvedUri } from '../policy/index.js';

/** A message as a file of the session's `messages` folder. */
export interface MessageFile {
  readonly message_id: string;
  /** Bytes of its JSON text (what `read` returns). */
  readonly size: number;
  readonly created_at: string;
}

/** Implemented by the session service and injected into the Vfs. */
export interface SessionMessageReader {
  /** The message as JSON text, or null if the session or the message does not exist. */
  read(account_id: string, session_id: string, message_id: string): Promise<string | null>;
  /** Every message of a session (archived ones first, then live), or null if there is no session. */
  listMessages(account_id: string, session_id: string): Promise<MessageFile[] | null>;
}

/** Session and message id of a virtual message URI, or null if the URI is not one. */
export function messageRefOf(resolved: ResolvedUri): { session_id: string; message_id: string } | null {
  const [scope, session_id, folder, message_id, ...rest] = resolved.segments;
  if (scope !== 'session' || folder !== 'messages' || rest.length > 0) return null;
  if (session_id === undefined || message_id === undefined) return null;
  return { session_id, message_id };
}

/** Session id of the virtual folder `viking://session/{S}/messages`, or null if the URI is not one. */
export function messagesFolderOf(resolved: ResolvedUri): string | null {
  const [scope, session_id, folder, ...rest] = resolved.segments;
  if (scope !== 'session' || folder !== 'messages' || rest.length > 0) return null;
  return session_id ?? null;
}
