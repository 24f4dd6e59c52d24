/**
 * Browsing the viking:// tree folder by folder (`fs/ls`) or a few levels at once (`fs/tree`), and
 * reading files (`content/read`), as the signed-in identity: the API lists only what it may read.
 */
import { api } from './api.mjs';
import { h, link, table } from './dom.mjs';

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
    entry.modTime ? new Date(entry.modTime).toLocaleString() : '',
    entry.abstract,
  ];
}

export async function browseView({ params }) {
  const uri = params.get('uri') || ROOT;
  const entries = await api('GET', '/api/v1/fs/ls', { query: { uri } });
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
  const entries = await api('GET', '/api/v1/fs/tree', { query: { uri, level_limit: TREE_LEVELS } });
  const items = entries.map((entry) => {
    const depth = Math.min(entry.rel_path.split('/').length - 1, TREE_LEVELS);
    const href = link(entry.isDir ? 'browse' : 'read', { uri: entry.uri });
    const name = nameOf(entry.uri) + (entry.isDir ? '/' : '');
    return h('li', { class: `depth-${depth}` }, h('a', { href, 'data-testid': 'tree-entry' }, name));
  });
  return [h('h1', {}, 'Tree'), crumbs(uri, true), h('ul', { class: 'tree' }, items)];
}

export async function readView({ params }) {
  const uri = params.get('uri') || ROOT;
  const text = await api('GET', '/api/v1/content/read', { query: { uri } });
  return [h('h1', {}, nameOf(uri)), crumbs(uri), h('pre', { 'data-testid': 'content' }, String(text))];
}
