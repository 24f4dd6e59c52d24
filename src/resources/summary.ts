/**
 * Extractive summaries of an imported folder (no model): `.abstract.md` is the lead text of its main
 * document or a one-line census of its contents, `.overview.md` lists each file with its lead text
 * and each sub-folder with its size. Deterministic: the same files always give the same summaries.
 */

/** A converted document of an import, by its `/`-separated path relative to the resource root. */
export interface ImportedDoc {
  readonly path: string;
  readonly content: string;
  /** Its lead texts already cut ({@link leadsOf}), in place of reading `content` again. */
  readonly leads?: Leads;
}

/** A document's lead text for an abstract and the shorter one for an overview's line. */
export type Leads = readonly [abstract: string, overview: string];

export function leadsOf(content: string): Leads {
  return [leadText(content), leadText(content, OVERVIEW_LEAD_CHARS)];
}

/** The summaries of one folder (`''` is the resource root). */
export interface FolderSummary {
  readonly folder: string;
  readonly abstract: string;
  readonly overview: string;
}

const LEAD_CHARS = 240;
const MAX_OVERVIEW_ENTRIES = 200;
/** Documents that describe their folder, in order of preference. */
const MAIN_DOC = /^(readme|index|overview|about)(\.[^.]+)?$/i;

/**
 * The opening prose of a text: markup-free lines up to a sentence end near `LEAD_CHARS`.
 * @example leadText('# Title\n\nFirst sentence. Second one.') // 'Title. First sentence. Second one.'
 */
/** Characters of a document's lead on its line of a folder's overview. */
const OVERVIEW_LEAD_CHARS = 160;

export function leadText(text: string, max = LEAD_CHARS): string {
  const lines: string[] = [];
  let inFence = false;
  for (const raw of text.split('\n')) {
    if (/^\s*(```|~~~)/.test(raw)) inFence = !inFence;
    const line = raw
      .replace(/^\s*(#{1,6}|>|[-*+]|\d+\.)\s+/, '')
      .replace(/[*`]/g, '')
      // Underscores are emphasis only around a phrase (`_word_`, `__bold__`); inside a name
      // (`pg_last_wal_replay_lsn()`) they are part of it.
      .replace(/(^|\W)(_{1,2})(?=\S)(.+?)(?<=\S)\2(?!\w)/g, '$1$3')
      .trim();
    if (inFence || line === '' || /^(```|~~~|[-=|: ]+$)/.test(line)) continue;
    lines.push(/[.!?:;]$/.test(line) ? line : `${line}.`);
    if (lines.join(' ').length >= max) break;
  }
  const flat = lines.join(' ').replace(/\s+/g, ' ');
  if (flat.length <= max) return flat;
  const cut = flat.slice(0, max);
  const end = Math.max(cut.lastIndexOf('. '), cut.lastIndexOf('! '), cut.lastIndexOf('? '));
  return end > max / 3 ? cut.slice(0, end + 1) : `${cut.trimEnd()}…`;
}

function nameOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

/** Every folder of the import ('' first), with its direct documents and sub-folders. */
function folders(
  docs: readonly ImportedDoc[],
): Map<string, { docs: ImportedDoc[]; subfolders: Set<string> }> {
  const tree = new Map<string, { docs: ImportedDoc[]; subfolders: Set<string> }>([
    ['', { docs: [], subfolders: new Set() }],
  ]);
  const node = (folder: string) => {
    let entry = tree.get(folder);
    if (entry === undefined) {
      entry = { docs: [], subfolders: new Set() };
      tree.set(folder, entry);
      if (folder !== '') node(parentOf(folder)).subfolders.add(folder);
    }
    return entry;
  };
  for (const doc of docs) node(parentOf(doc.path)).docs.push(doc);
  return tree;
}

function countBelow(docs: readonly ImportedDoc[], folder: string): number {
  return docs.filter((d) => d.path.startsWith(`${folder}/`)).length;
}

/** What a folder's summaries are made of: its direct documents and its sub-folders' sizes. */
export interface FolderContents {
  /** The folder's name (the resource's name for an import root). */
  readonly title: string;
  /** Direct documents; only the last segment of each path is shown. */
  readonly docs: readonly ImportedDoc[];
  /** Direct sub-folders by name, with the number of documents below each. */
  readonly subfolders: readonly { readonly name: string; readonly documents: number }[];
  /** Why it was added (add_resource's reason), shown in the overview. */
  readonly reason?: string;
}

function abstractOf({ title, docs: own, subfolders }: FolderContents, below: number): string {
  const main = own.find((d) => MAIN_DOC.test(nameOf(d.path))) ?? (own.length === 1 ? own[0] : undefined);
  const lead = main === undefined ? '' : (main.leads?.[0] ?? leadText(main.content));
  if (own.length === 1 && subfolders.length === 0 && lead !== '') return `${lead}\n`;
  const census = `${title}: ${below} document${below === 1 ? '' : 's'}`;
  const names = [...own.map((d) => nameOf(d.path)), ...subfolders.map((f) => `${f.name}/`)];
  const shown = names.slice(0, 8).join(', ') + (names.length > 8 ? ', …' : '');
  return `${census} (${shown}).${lead === '' ? '' : ` ${lead}`}\n`;
}

function overviewOf({ title, docs: own, subfolders, reason = '' }: FolderContents): string {
  const lines = [`# ${title}`, ''];
  if (reason.trim() !== '') lines.push(`Added because: ${reason.trim()}`, '');
  const entries = [
    ...own.map(
      (d) =>
        `- ${nameOf(d.path)} — ${(d.leads?.[1] ?? leadText(d.content, OVERVIEW_LEAD_CHARS)) || '(empty)'}`,
    ),
    ...subfolders.map((f) => `- ${f.name}/ — ${f.documents} documents`),
  ];
  lines.push(...entries.slice(0, MAX_OVERVIEW_ENTRIES));
  if (entries.length > MAX_OVERVIEW_ENTRIES)
    lines.push(`- … and ${entries.length - MAX_OVERVIEW_ENTRIES} more`);
  lines.push('');
  return lines.join('\n');
}

/**
 * `.abstract.md` and `.overview.md` of one folder from its direct contents: what an import writes for
 * each of its folders, and what the filesystem writes for folders that writes created (fs/summaries).
 */
export function summariseFolder(contents: FolderContents): { abstract: string; overview: string } {
  const below = contents.docs.length + contents.subfolders.reduce((n, f) => n + f.documents, 0);
  return { abstract: abstractOf(contents, below), overview: overviewOf(contents) };
}

/**
 * `.abstract.md` and `.overview.md` for the root and every sub-folder of an import. `rootName` titles
 * the root; `reason` (add_resource's) goes into the root's overview.
 */
export function folderSummaries(
  rootName: string,
  docs: readonly ImportedDoc[],
  reason = '',
): FolderSummary[] {
  const summaries: FolderSummary[] = [];
  for (const [folder, { docs: own, subfolders }] of folders(docs)) {
    const subs = [...subfolders].sort().map((f) => ({ name: nameOf(f), documents: countBelow(docs, f) }));
    const title = folder === '' ? rootName : nameOf(folder);
    const contents = { title, docs: own, subfolders: subs, reason: folder === '' ? reason : '' };
    summaries.push({ folder, ...summariseFolder(contents) });
  }
  return summaries;
}
