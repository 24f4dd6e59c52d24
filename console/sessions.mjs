/**
 * The account's shared sessions (`GET sessions`, each with its meta from `GET sessions/{id}`, a page
 * at a time) and one session's archives (`GET sessions/{id}/archives/{archive_id}`, newest first)
 * and live messages with their actors (`role`, `role_id`, from `GET sessions/{id}/context`).
 */
import { api } from './api.mjs';
import { errorNode, formatTime, h, link, table } from './dom.mjs';

/** Sessions per page of the list: each costs one meta request. */
export const SESSIONS_PER_PAGE = 25;
/** Archives shown at first on a session page (each is one request); a link shows more. */
const ARCHIVES_SHOWN = 10;

const sessionPath = (id) => `/api/v1/sessions/${encodeURIComponent(id)}`;

function pageOf(params, count) {
  const pages = Math.max(Math.ceil(count / SESSIONS_PER_PAGE), 1);
  const page = Number(params.get('page'));
  return Number.isInteger(page) && page >= 1 ? Math.min(page, pages) : 1;
}

/** A session's row; a session whose meta cannot be read still shows its id and why. */
async function sessionRow(session) {
  const name = h('a', { href: link('session', { id: session.session_id }) }, session.session_id);
  try {
    const meta = await api('GET', sessionPath(session.session_id));
    const people = [...(meta.participant_user_ids ?? []), ...(meta.participant_agent_ids ?? [])];
    const updated = formatTime(meta.updated_at);
    return [name, people.join(', '), String(meta.message_count), String(meta.commit_count), updated];
  } catch (error) {
    return [name, errorNode(error), '', '', ''];
  }
}

function pager(page, pages) {
  if (pages <= 1) return null;
  const to = (n, label) =>
    n < 1 || n > pages ? null : h('a', { href: link('sessions', { page: n }) }, label);
  return h(
    'p',
    { class: 'pager', 'data-testid': 'pager' },
    to(page - 1, '← previous page'),
    ` page ${page} of ${pages} `,
    to(page + 1, 'next page →'),
  );
}

export async function sessionsView({ params }) {
  const sessions = await api('GET', '/api/v1/sessions');
  if (sessions.length === 0) {
    return [h('h1', {}, 'Sessions'), h('p', { class: 'muted' }, 'No sessions in this account yet.')];
  }
  const page = pageOf(params, sessions.length);
  const shown = sessions.slice((page - 1) * SESSIONS_PER_PAGE, page * SESSIONS_PER_PAGE);
  const rows = await Promise.all(shown.map(sessionRow));
  const pages = Math.ceil(sessions.length / SESSIONS_PER_PAGE);
  return [
    h('h1', {}, 'Sessions'),
    table(['session', 'participants', 'messages', 'commits', 'updated'], rows, 'sessions'),
    pager(page, pages),
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
    h('div', { class: 'meta', 'data-testid': 'actor' }, `${actor} · ${formatTime(message.created_at)}`),
    (message.parts ?? []).map(partNode),
  );
}

const archiveName = (n) => `archive_${String(n).padStart(3, '0')}`;

/** One archive: its abstract, and its overview folded away until asked for. */
function archiveNode(archive) {
  return h(
    'div',
    { class: 'archive', 'data-testid': 'archive' },
    h('h3', {}, archive.archive_id),
    h('p', { 'data-testid': 'archive-abstract' }, archive.abstract),
    h(
      'details',
      {},
      h('summary', {}, 'Overview'),
      h('pre', { 'data-testid': 'archive-overview' }, archive.overview),
    ),
  );
}

/** The newest `shown` archives, newest first (archive_NNN for NNN = commit_count down to 1). */
async function archivesSection(id, commits, shown) {
  if (commits === 0) return null;
  const numbers = Array.from({ length: Math.min(commits, shown) }, (_, i) => commits - i);
  const archives = await Promise.all(
    numbers.map((n) =>
      api('GET', `${sessionPath(id)}/archives/${archiveName(n)}`).then(archiveNode, (error) =>
        errorNode(error),
      ),
    ),
  );
  const more =
    commits > shown
      ? h(
          'a',
          { href: link('session', { id, archives: shown + ARCHIVES_SHOWN }) },
          `Older archives (${commits - shown} more)`,
        )
      : null;
  return [h('h2', {}, `Archives (${commits})`), archives, more];
}

/**
 * The memories extraction took from this session (`GET sessions/{id}/memories`), per participant:
 * each owner's scope root with the memory files the signed-in identity may read (no others are sent).
 */
async function memoriesSection(id) {
  const { archives } = await api('GET', `${sessionPath(id)}/memories`);
  const byOwner = new Map();
  for (const archive of archives) {
    for (const [owner, uris] of Object.entries(archive.memories)) {
      byOwner.set(owner, [...(byOwner.get(owner) ?? []), ...uris]);
    }
  }
  if (byOwner.size === 0) return null;
  return [
    h('h2', {}, 'Memories from this session'),
    [...byOwner].map(([owner, uris]) =>
      h(
        'div',
        { 'data-testid': 'memory-owner' },
        h('h3', {}, owner),
        h(
          'ul',
          {},
          [...new Set(uris)].map((uri) => h('li', {}, h('a', { href: link('read', { uri }) }, uri))),
        ),
      ),
    ),
  ];
}

export async function sessionView({ params }) {
  const id = params.get('id') ?? '';
  const shown = Math.max(Number(params.get('archives')) || ARCHIVES_SHOWN, 1);
  const [meta, context] = await Promise.all([
    api('GET', sessionPath(id)),
    api('GET', `${sessionPath(id)}/context`),
  ]);
  const facts = [
    ['created by', meta.created_by_user_id],
    ['users', (meta.participant_user_ids ?? []).join(', ')],
    ['agents', (meta.participant_agent_ids ?? []).join(', ')],
    ['messages', meta.message_count],
    ['commits', meta.commit_count],
    ['created', formatTime(meta.created_at)],
    ['updated', formatTime(meta.updated_at)],
  ];
  return [
    h('h1', {}, `Session ${id}`),
    h('p', {}, h('a', { href: link('browse', { uri: `viking://session/${id}` }) }, 'files of this session')),
    table(null, facts, 'session-meta', 'facts'),
    await archivesSection(id, Number(meta.commit_count) || 0, shown),
    await memoriesSection(id),
    h('h2', {}, 'Messages'),
    context.messages.length === 0
      ? h('p', { class: 'muted' }, 'No live messages.')
      : context.messages.map(messageNode),
  ];
}
