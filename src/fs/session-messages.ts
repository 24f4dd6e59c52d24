/**
 * Virtual session message files (SPEC 9.1): `viking://session/{S}/messages/{message_id}` is readable
 * through the filesystem API. The session service owns the storage; the filesystem only asks it.
 */
import type { ResolvedUri } from '../policy/index.js';

/** Implemented by the session service and injected into the Vfs. */
export interface SessionMessageReader {
  /** The message as JSON text, or null if the session or the message does not exist. */
  read(account_id: string, session_id: string, message_id: string): Promise<string | null>;
}

/** Session and message id of a virtual message URI, or null if the URI is not one. */
export function messageRefOf(resolved: ResolvedUri): { session_id: string; message_id: string } | null {
  const [scope, session_id, folder, message_id, ...rest] = resolved.segments;
  if (scope !== 'session' || folder !== 'messages' || rest.length > 0) return null;
  if (session_id === undefined || message_id === undefined) return null;
  return { session_id, message_id };
}
