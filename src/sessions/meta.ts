/**
 * Pure constructors of session state: a new `.meta.json`, participant bookkeeping and the parts of
 * a new message (SPEC 8, 8.1).
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

/** Parts of a new message: `parts` win over `content`; tool URIs are always the session's own. */
export function normaliseParts(session_id: string, body: AddMessageBody): MessagePart[] {
  const parts: MessagePart[] = body.parts ?? [{ type: 'text', text: body.content ?? '' }];
  return parts.map((p) =>
    p.type === 'tool' ? { ...p, tool_uri: `${sessionUri(session_id)}/tools/${p.tool_id}` } : p,
  );
}
