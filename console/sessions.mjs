/**
 * The account's shared sessions (`GET sessions`) and one session's messages with their actors
 * (`role`, `role_id`), read through `GET sessions/{id}` and `GET sessions/{id}/context`.
 */
import { api } from './api.mjs';
import { h, link, table } from './dom.mjs';

export async function sessionsView() {
  const sessions = await api('GET', '/api/v1/sessions');
  return [
    h('h1', {}, 'Sessions'),
    sessions.length === 0
      ? h('p', { class: 'muted' }, 'No sessions in this account yet.')
      : table(
          ['session'],
          sessions.map((s) => [h('a', { href: link('session', { id: s.session_id }) }, s.session_id)]),
          'sessions',
        ),
  ];
}

function partNode(part) {
  switch (part.type) {
    case 'text':
      return h('p', {}, part.text);
    case 'context':
      return h(
        'p',
        {},
        'context: ',
        h('a', { href: link('read', { uri: part.uri }) }, part.uri),
        ` ${part.abstract ?? ''}`,
      );
    case 'tool':
      return h('p', { class: 'muted' }, `tool ${part.tool_name} (${part.tool_status})`);
    default:
      return h('p', { class: 'muted' }, `${part.type} part`);
  }
}

function messageNode(message) {
  const actor = message.role_id ? `${message.role} · role_id ${message.role_id}` : message.role;
  return h(
    'div',
    { class: `message ${message.role === 'user' ? 'user' : ''}`, 'data-testid': 'message' },
    h('div', { class: 'meta', 'data-testid': 'actor' }, `${actor} · ${message.created_at ?? ''}`),
    (message.parts ?? []).map(partNode),
  );
}

export async function sessionView({ params }) {
  const id = params.get('id') ?? '';
  const path = `/api/v1/sessions/${encodeURIComponent(id)}`;
  const [meta, context] = await Promise.all([api('GET', path), api('GET', `${path}/context`)]);
  const facts = [
    ['created by', meta.created_by_user_id],
    ['users', (meta.participant_user_ids ?? []).join(', ')],
    ['agents', (meta.participant_agent_ids ?? []).join(', ')],
    ['messages', meta.message_count],
    ['commits', meta.commit_count],
  ];
  return [
    h('h1', {}, `Session ${id}`),
    h('p', {}, h('a', { href: link('browse', { uri: `viking://session/${id}` }) }, 'files of this session')),
    table(null, facts, 'session-meta', 'facts'),
    context.latest_archive_overview
      ? [h('h2', {}, 'Latest archive'), h('pre', {}, context.latest_archive_overview)]
      : null,
    h('h2', {}, 'Messages'),
    context.messages.length === 0
      ? h('p', { class: 'muted' }, 'No live messages.')
      : context.messages.map(messageNode),
  ];
}
