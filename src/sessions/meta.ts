/**
 * Pure constructors of session state: a new `.meta.json`, participant bookkeeping, a meta rebuilt
 * from the message log, and the parts of a new message (SPEC 8, 8.1).
 */
import { sessionUri } from './files.js';
import type { AddMessageBody, MessagePart, SessionMeta, StoredMessage } from './schema.js';

export function newMeta(session_id: string, creator: string, now: string): SessionMeta {
  return {
    session_id,
    created_at: now,
    updated_at: now,
    created_by_user_id: creator,
    participant_user_ids: [creator],
    participant_agent_ids: [],
    message_count: 0,
    total_message_count: 0,
    commit_count: 0,
    contexts_used: 0,
    skills_used: 0,
  };
}

export function addParticipants(meta: SessionMeta, messages: readonly StoredMessage[]): SessionMeta {
  const users = new Set(meta.participant_user_ids);
  const agents = new Set(meta.participant_agent_ids);
  for (const m of messages) {
    if (m.role_id === null) continue;
    if (m.role === 'user') users.add(m.role_id);
    if (m.role === 'assistant') agents.add(m.role_id);
  }
  return { ...meta, participant_user_ids: [...users], participant_agent_ids: [...agents] };
}

/** What a rebuilt meta is made from: the archives' messages (in order) and the live log. */
export interface SessionLog {
  readonly session_id: string;
  /** Messages of `history/archive_001 … archive_{commit_count}`, oldest first. */
  readonly archived: readonly StoredMessage[];
  readonly live: readonly StoredMessage[];
  /** Number of the newest archive (0 without one). */
  readonly commit_count: number;
  /** Usages recorded with `sessions/{id}/used`: archived and still pending. */
  readonly usages?: ReadonlyArray<{ readonly type: 'context' | 'skill' }>;
}

/**
 * A `.meta.json` rebuilt from the message log when the file is lost or unreadable: counts and
 * participants from the messages; the creator is the author of the first user message (the creator
 * itself is not in the log), else `fallback.creator`; times are the first and last message's, else
 * `fallback.now`.
 */
export function rebuildMeta(log: SessionLog, fallback: { creator: string; now: string }): SessionMeta {
  const all = [...log.archived, ...log.live];
  const creator = all.find((m) => m.role === 'user' && m.role_id !== null)?.role_id ?? fallback.creator;
  const meta = newMeta(log.session_id, creator, all[0]?.created_at ?? fallback.now);
  return addParticipants(
    {
      ...meta,
      updated_at: all.at(-1)?.created_at ?? fallback.now,
      message_count: log.live.length,
      total_message_count: all.length,
      commit_count: log.commit_count,
      contexts_used: (log.usages ?? []).filter((u) => u.type === 'context').length,
      skills_used: (log.usages ?? []).filter((u) => u.type === 'skill').length,
    },
    all,
  );
}

/** Parts of a new message: `parts` win over `content`; tool URIs are always the session's own. */
export function normaliseParts(session_id: string, body: AddMessageBody): MessagePart[] {
  const parts: MessagePart[] = body.parts ?? [{ type: 'text', text: body.content ?? '' }];
  return parts.map((p) =>
    p.type === 'tool' ? { ...p, tool_uri: `${sessionUri(session_id)}/tools/${p.tool_id}` } : p,
  );
}
