/**
 * Browsing the viking:// tree folder by folder (`fs/ls`) or a few levels at once (`fs/tree`), and
 * reading files (`content/read`), as the signed-in identity: the API lists only what it may read.
 */
/* global history */
import { api } from './api.mjs';
import { errorNode, formatTime, h, link, table } from './dom.mjs';

const ROOT = 'viking://';
const TREE_LEVELS = 4;

/** The folders above `uri` and `uri` itself, each linked to its listing (the last one as text). */
export function crumbs(uri, lastLinked = false) {
  const segments = uri
    .slice(ROOT.length)
    .split('/')
    .filter((s) => s !== '');
  const parts = [h('a', { href: link('browse', { uri: ROOT }) }, ROOT)];
  segments.forEach((segment, i) => {
    const target = ROOT + segments.slice(0, i + 1).join('/');
    const last = i === segments.length - 1;
    parts.push(
      last && !lastLinked
        ? h('span', {}, segment)
        : h('a', { href: link('browse', { uri: target }) }, segment),
      last ? null : h('span', { class: 'muted' }, '/'),
    );
  });
  return h('div', { class: 'crumbs', 'data-testid': 'crumbs' }, parts);
}

function nameOf(uri) {
  return uri.slice(uri.lastIndexOf('/') + 1) || uri;
}

function entryRow(entry) {
  const name = nameOf(entry.uri) + (entry.isDir ? '/' : '');
  const href = link(entry.isDir ? 'browse' : 'read', { uri: entry.uri });
  return [
    h('a', { href, 'data-testid': entry.isDir ? 'folder' : 'file' }, name),
    entry.isDir ? '' : `${entry.size} B`,
    formatTime(entry.modTime),
    entry.abstract,
  ];
}

/** `viking://session/{S}`: a session's own folder, or null. */
function sessionFolderOf(uri) {
  const match = /^viking:\/\/session\/([^/]+)\/?$/.exec(uri);
  return match === null ? null : `${ROOT}session/${match[1]}`;
}

/**
 * A session folder as a reader sees it: its live log `messages.jsonl` is storage (one JSON line per
 * message), so the listing shows the virtual folder `messages/` instead, where each message is a
 * file (SPEC 9.1). Entries of other folders pass unchanged.
 */
function readerEntries(entries, folder) {
  const session = sessionFolderOf(folder);
  if (session === null) return entries;
  const log = entries.find((entry) => entry.uri === `${session}/messages.jsonl`);
  if (log === undefined) return entries;
  const messages = { uri: `${session}/messages`, isDir: true, size: 0, modTime: log.modTime, abstract: '' };
  return [...entries.filter((entry) => entry !== log), messages];
}

export async function browseView({ params }) {
  const uri = params.get('uri') || ROOT;
  const entries = readerEntries(await api('GET', '/api/v1/fs/ls', { query: { uri } }), uri);
  entries.sort((a, b) => Number(b.isDir) - Number(a.isDir) || a.uri.localeCompare(b.uri));
  return [
    h('h1', {}, 'Browse'),
    crumbs(uri),
    h('p', {}, h('a', { href: link('tree', { uri }) }, `Tree view (${TREE_LEVELS} levels)`)),
    entries.length === 0
      ? h('p', { class: 'muted' }, 'Empty folder (or nothing here you may read).')
      : table(['name', 'size', 'modified', 'abstract'], entries.map(entryRow), 'listing'),
  ];
}

/** The subtree below `uri` at a glance (`fs/tree`, a few levels), indented by depth. */
export async function treeView({ params }) {
  const uri = params.get('uri') || ROOT;
  const listed = await api('GET', '/api/v1/fs/tree', { query: { uri, level_limit: TREE_LEVELS } });
  const entries = listed.flatMap((entry) => {
    const parent = entry.uri.slice(0, entry.uri.lastIndexOf('/'));
    if (sessionFolderOf(parent) === null || !entry.uri.endsWith('/messages.jsonl')) return [entry];
    const rel_path = entry.rel_path.replace(/messages\.jsonl$/, 'messages');
    return readerEntries([entry], parent).map((shown) => ({ ...shown, rel_path }));
  });
  const items = entries.map((entry) => {
    const depth = Math.min(entry.rel_path.split('/').length - 1, TREE_LEVELS);
    const href = link(entry.isDir ? 'browse' : 'read', { uri: entry.uri });
    const name = nameOf(entry.uri) + (entry.isDir ? '/' : '');
    return h('li', { class: `depth-${depth}` }, h('a', { href, 'data-testid': 'tree-entry' }, name));
  });
  return [h('h1', {}, 'Tree'), crumbs(uri, true), h('ul', { class: 'tree' }, items)];
}

/** Why a file could not be read, with the ways on: its folder listing (for a folder) and back. */
function unreadable(uri, error) {
  const back = h('button', { type: 'button', onclick: () => history.back() }, 'Back');
  const folder =
    error?.code === 'FAILED_PRECONDITION'
      ? h('a', { href: link('browse', { uri }), 'data-testid': 'browse-instead' }, 'Browse this folder')
      : null;
  return [
    h('h1', {}, nameOf(uri)),
    crumbs(uri),
    errorNode(error),
    h('p', { class: 'actions' }, folder, back),
  ];
}

export async function readView({ params }) {
  const uri = params.get('uri') || ROOT;
  let text;
  try {
    text = await api('GET', '/api/v1/content/read', { query: { uri } });
  } catch (error) {
    return unreadable(uri, error);
  }
  return [h('h1', {}, nameOf(uri)), crumbs(uri), h('pre', { 'data-testid': 'content' }, String(text))];
}
