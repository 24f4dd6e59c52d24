/**
 * Generated summaries of the folders that writes make below `viking://resources` (issue 28): after a
 * file is written, moved or removed, each folder from its parent up to the scope's top level gets the
 * `.abstract.md` and `.overview.md` an import gives its folders (resources/summary.ts). A folder is
 * rebuilt from its direct entries only — the names and opening text of its files, and each
 * sub-folder's document count kept in that sub-folder's state file — so a write costs one folder
 * listing per level (at most MAX_FILES file heads read), never a walk of the tree.
 *
 * A summary file is replaced only while it is still the one generated here (its hash is in the
 * folder's internal state file, storage/summary-state.ts): one written by hand (content/write, mkdir's
 * description) or by an import is left as it is, and the other file of the pair is still kept up to
 * date. Generated summaries are not indexed (see storage/summary-state.ts for why).
 */
import { createHash } from 'node:crypto';
import { childUri, resolveUri, type RequestContext, type ResolvedUri } from '../policy/index.js';
import { leadsOf, summariseFolder, type ImportedDoc, type Leads } from '../resources/summary.js';
import { KeyedMutex } from '../storage/atomic.js';
import { SUMMARY_STATE_FILE } from '../storage/names.js';
import { generatedNamesOf, parseSummaryState, type SummaryState as State } from '../storage/summary-state.js';
import type { FsCore } from './core.js';
import { isHiddenName, isInternalName } from './names.js';
import type { FileStorage } from './storage.js';

/** Files of a folder whose opening text is read (the overview lists at most 200 entries). */
const MAX_FILES = 200;
/** Bytes of a file read for its opening text (leadText keeps about 240 characters). */
const HEAD_BYTES = 8192;
/** Files counted in a sub-folder that has no state file yet (an import's), before giving up. */
const COUNT_CAP = 1000;

type SummaryFile = '.abstract.md' | '.overview.md';

/** One folder of one account, as the storage names it. */
interface Place {
  readonly storage: FileStorage;
  readonly account_id: string;
  readonly uri: string;
}

/** Refreshes of one folder (and replacements of one summary file) run one at a time in a process. */
const mutex = new KeyedMutex();

const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const at = (place: Place, name: string): Place => ({ ...place, uri: childUri(place.uri, name) });
const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Content entries of a folder (no hidden, internal or special names), in name order. */
async function contentEntries(place: Place): Promise<{ files: string[]; folders: string[] }> {
  const entries = await place.storage.list(place.account_id, place.uri).catch(() => []);
  const visible = entries.filter((e) => !isHiddenName(e.name) && !isInternalName(e.name, false));
  return {
    files: visible
      .filter((e) => e.kind === 'file')
      .map((e) => e.name)
      .sort(byName),
    folders: visible
      .filter((e) => e.kind === 'folder')
      .map((e) => e.name)
      .sort(byName),
  };
}

/** A file's text ('' for binary content or a file that went away). */
async function textOf(place: Place, limit = Number.POSITIVE_INFINITY): Promise<string | null> {
  const data = await place.storage.read(place.account_id, place.uri, { listed: true }).catch(() => null);
  if (data === null) return null;
  const head = data.subarray(0, Math.min(data.length, limit));
  return head.includes(0) ? '' : head.toString('utf8');
}

async function readState(folder: Place): Promise<State | null> {
  return parseSummaryState(await textOf(at(folder, SUMMARY_STATE_FILE)));
}

/** Documents below a folder without a state file, counted up to COUNT_CAP. */
async function countFiles(folder: Place, budget = { left: COUNT_CAP }): Promise<number> {
  const { files, folders } = await contentEntries(folder);
  let count = Math.min(files.length, budget.left);
  budget.left -= count;
  for (const name of folders) {
    if (budget.left <= 0) break;
    count += await countFiles(at(folder, name), budget);
  }
  return count;
}

async function subfolderOf(folder: Place, name: string) {
  const place = at(folder, name);
  return { name, documents: (await readState(place))?.documents ?? (await countFiles(place)) };
}

function writeText(core: FsCore, place: Place, text: string): Promise<number> {
  return place.storage.write(place.account_id, place.uri, Buffer.from(text, 'utf8'), {
    mode: 'replace',
    maxBytes: core.maxFileBytes,
  });
}

/** Writes one summary file if it is absent or still the generated one; its hash, or null if not ours. */
async function replaceIfOurs(
  core: FsCore,
  target: { folder: Place; file: SummaryFile; content: string },
  state: State | null,
): Promise<string | null> {
  const place = at(target.folder, target.file);
  return mutex.run(`${place.account_id}\u0000${place.uri}`, async () => {
    const current = await textOf(place);
    const ours = current === null || (state !== null && state[target.file] === sha(current));
    if (!ours) return null;
    // Not announced to the indexer: generated summaries are not indexed (storage/summary-state.ts).
    if (current !== target.content) await writeText(core, place, target.content);
    return sha(target.content);
  });
}

/**
 * Rebuilds one folder's summaries and state from its direct entries. The files' lead texts come from
 * the state, except those of `changed` names (and files it has none for), which are read again: a
 * write costs one listing and the head of the file it wrote, not the heads of the whole folder.
 */
async function refreshFolder(
  core: FsCore,
  ctx: RequestContext,
  resolved: ResolvedUri,
  changed: ReadonlySet<string>,
) {
  const folder: Place = { storage: core.storage, account_id: ctx.effective.account_id, uri: resolved.uri };
  const stateFile = at(folder, SUMMARY_STATE_FILE);
  await mutex.run(`${stateFile.account_id}\u0000${stateFile.uri}`, async () => {
    const state = await readState(folder);
    const { files, folders } = await contentEntries(folder);
    const docs: ImportedDoc[] = [];
    const leads: Record<string, Leads> = {};
    for (const name of files.slice(0, MAX_FILES)) {
      const known = changed.has(name) ? undefined : state?.leads?.[name];
      leads[name] = known ?? leadsOf((await textOf(at(folder, name), HEAD_BYTES)) ?? '');
      docs.push({ path: name, content: '', leads: leads[name] });
    }
    const subfolders = await Promise.all(folders.map((name) => subfolderOf(folder, name)));
    const title = resolved.segments[resolved.segments.length - 1] ?? '';
    const summary = summariseFolder({ title, docs, subfolders });
    const abstract = { folder, file: '.abstract.md' as const, content: summary.abstract };
    const overview = { folder, file: '.overview.md' as const, content: summary.overview };
    const next: State = {
      documents: files.length + subfolders.reduce((n, f) => n + f.documents, 0),
      '.abstract.md': await replaceIfOurs(core, abstract, state),
      '.overview.md': await replaceIfOurs(core, overview, state),
      leads,
    };
    await writeText(core, stateFile, `${JSON.stringify(next)}\n`);
  });
}

/**
 * Refreshes the folder of `segments` and each folder above it below `viking://resources` (deepest
 * first, so each level reads its sub-folders' fresh counts); other scopes keep their own summaries.
 * A summary is derived data: a failure here (a folder removed meanwhile) leaves the change that
 * triggered it standing, and the next write rebuilds it.
 */
async function refreshFrom(
  core: FsCore,
  ctx: RequestContext,
  segments: readonly string[],
  changed: ReadonlySet<string>,
) {
  if (segments[0] !== 'resources') return;
  try {
    for (let depth = segments.length; depth >= 2; depth--) {
      const folder = resolveUri(`viking://${segments.slice(0, depth).join('/')}`, null, ctx.policy);
      // Above the deepest folder only a sub-folder's count changed: no file there is read again.
      await refreshFolder(core, ctx, folder, depth === segments.length ? changed : new Set());
    }
  } catch {
    // See above: the change stands; the summaries catch up on the next write.
  }
}

/** After a file or folder at `changed` was written, removed or moved away: its parents' summaries. */
export function refreshAbove(core: FsCore, ctx: RequestContext, changed: ResolvedUri): Promise<void> {
  const name = changed.segments[changed.segments.length - 1];
  return refreshFrom(core, ctx, changed.segments.slice(0, -1), new Set(name === undefined ? [] : [name]));
}

/** After a batch of files was written: the summaries of their deepest common folder and above. */
export function refreshAboveAll(
  core: FsCore,
  ctx: RequestContext,
  written: readonly ResolvedUri[],
): Promise<void> {
  const [first, ...rest] = written.map((r) => r.segments.slice(0, -1));
  if (first === undefined) return Promise.resolve();
  let common = first.length;
  for (const other of rest) {
    let same = 0;
    while (same < common && other[same] === first[same]) same++;
    common = same;
  }
  // The names right below the common folder that the batch wrote (files there, or folders on the way).
  const changed = new Set(written.map((r) => r.segments[common]).filter((n) => n !== undefined));
  return refreshFrom(core, ctx, first.slice(0, common), changed);
}

/** Names of the generated summary files in a folder (not indexed: see storage/summary-state.ts). */
export async function generatedSummaries(
  storage: FileStorage,
  account_id: string,
  folder: string,
): Promise<Set<string>> {
  return generatedNamesOf(await readState({ storage, account_id, uri: folder }));
}

/** Whether a canonical file URI is a generated `.abstract.md`/`.overview.md` (not indexed). */
export async function isGeneratedSummary(core: FsCore, ctx: RequestContext, uri: string): Promise<boolean> {
  const slash = uri.lastIndexOf('/');
  const name = uri.slice(slash + 1);
  if (name !== '.abstract.md' && name !== '.overview.md') return false;
  const folder = resolveUri(uri.slice(0, slash), null, ctx.policy);
  return (await generatedSummaries(core.storage, ctx.effective.account_id, folder.uri)).has(name);
}
