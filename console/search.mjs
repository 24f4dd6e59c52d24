/**
 * Search (`search/find`) with mode, target and context type; the form's state lives in the address
 * (`#/search?q=…`) so back and forward work. Hits link to the file, folder or session they came from.
 */
import { api } from './api.mjs';
import { errorNode, field, h, link } from './dom.mjs';

const MODES = ['hybrid', 'vector', 'fulltext'];
const TYPES = ['', 'memory', 'resource', 'skill', 'session'];
const GROUPS = [
  ['memories', 'Memories'],
  ['resources', 'Resources'],
  ['skills', 'Skills'],
  ['sessions', 'Session messages'],
];

function select(id, options, value, labelOf = (o) => o) {
  return h(
    'select',
    { id },
    options.map((o) => h('option', { value: o, selected: o === value }, labelOf(o))),
  );
}

function searchForm(params, go) {
  const query = h('input', { id: 'q', type: 'search', required: true, value: params.get('q') ?? '' });
  const mode = select('mode', MODES, params.get('mode') ?? 'hybrid');
  const target = h('input', {
    id: 'target',
    placeholder: 'viking://… (optional)',
    value: params.get('target') ?? '',
  });
  const type = select('type', TYPES, params.get('type') ?? '', (o) => (o === '' ? 'any' : o));
  const limit = h('input', {
    id: 'limit',
    type: 'number',
    min: 1,
    max: 100,
    value: params.get('limit') ?? 10,
  });
  const onsubmit = (event) => {
    event.preventDefault();
    go('search', {
      q: query.value,
      mode: mode.value,
      target: target.value.trim(),
      type: type.value,
      limit: limit.value,
    });
  };
  return h(
    'form',
    { onsubmit, 'data-testid': 'search-form' },
    field('Query', query),
    field('Mode', mode),
    field('Target URI', target),
    field('Context type', type),
    field('Limit', limit),
    h('button', { type: 'submit' }, 'Search'),
  );
}

/** Where a hit leads: a session message to its session, a file to its text, a folder to its listing. */
function hrefOf(hit) {
  if (hit.session_id) return link('session', { id: hit.session_id });
  return link(hit.level === 2 ? 'read' : 'browse', { uri: hit.uri });
}

function hitItem(hit) {
  const who = hit.role ? ` · ${hit.role}${hit.role_id ? ` ${hit.role_id}` : ''}` : '';
  return h(
    'div',
    { class: 'hit', 'data-testid': 'hit' },
    h('a', { href: hrefOf(hit) }, hit.uri),
    h('div', { class: 'meta' }, `${hit.context_type} · score ${hit.score.toFixed(3)}${who}`),
    h('div', {}, hit.abstract),
  );
}

function requestOf(params) {
  const body = { query: params.get('q'), mode: params.get('mode') ?? 'hybrid' };
  const limit = Number(params.get('limit'));
  if (Number.isInteger(limit) && limit > 0) body.limit = limit;
  if (params.get('target')) body.target_uri = params.get('target');
  if (params.get('type')) body.context_type = params.get('type');
  return body;
}

export async function searchView({ params, go }) {
  const parts = [h('h1', {}, 'Search'), searchForm(params, go)];
  if (!params.get('q')) return parts;
  let result;
  try {
    result = await api('POST', '/api/v1/search/find', { body: requestOf(params) });
  } catch (error) {
    // The form stays as it was sent (query and options), so the request can be corrected in place.
    parts.push(errorNode(error));
    return parts;
  }
  parts.push(h('p', { class: 'muted', 'data-testid': 'total' }, `${result.total} hit(s)`));
  for (const [key, title] of GROUPS) {
    const hits = result[key] ?? [];
    if (hits.length > 0) parts.push(h('h2', {}, title), hits.map(hitItem));
  }
  return parts;
}
