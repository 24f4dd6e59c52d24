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
import type { Dirent } from 'node:fs';
import { constants } from 'node:fs';
import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveUri, type RequestContext, type ResolvedUri } from '../policy/index.js';
import { summariseFolder, type ImportedDoc } from '../resources/summary.js';
import { writeFileAtomic } from '../storage/atomic.js';
import { readTextNoFollow } from '../storage/links.js';
import { SUMMARY_STATE_FILE } from '../storage/names.js';
import {
  generatedSummaryNames,
  readSummaryState as readState,
  type SummaryState as State,
} from '../storage/summary-state.js';
import { isHiddenName, isInternalName } from './names.js';
import { accountRoot, pathOf, type FsCore } from './store.js';

/** Files of a folder whose opening text is read (the overview lists at most 200 entries). */
const MAX_FILES = 200;
/** Bytes of a file read for its opening text (leadText keeps about 240 characters). */
const HEAD_BYTES = 8192;
/** Files counted in a sub-folder that has no state file yet (an import's), before giving up. */
const COUNT_CAP = 1000;

type SummaryFile = '.abstract.md' | '.overview.md';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

/** Content entries of a folder (no hidden, internal or special names), in name order. */
async function contentEntries(dir: string): Promise<{ files: string[]; folders: string[] }> {
  const entries: Dirent[] = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const visible = entries
    .filter((e) => !isHiddenName(e.name) && !isInternalName(e.name, false))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    files: visible.filter((e) => e.isFile()).map((e) => e.name),
    folders: visible.filter((e) => e.isDirectory()).map((e) => e.name),
  };
}

/** The first HEAD_BYTES of a file as text ('' for binary content or a file that went away). */
async function headOf(path: string): Promise<string> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW).catch(() => null);
  if (handle === null) return '';
  try {
    const buffer = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, HEAD_BYTES, 0);
    const head = buffer.subarray(0, bytesRead);
    return head.includes(0) ? '' : head.toString('utf8');
  } finally {
    await handle.close();
  }
}

/** Documents below a folder without a state file, counted up to COUNT_CAP. */
async function countFiles(dir: string, budget = { left: COUNT_CAP }): Promise<number> {
  const { files, folders } = await contentEntries(dir);
  let count = Math.min(files.length, budget.left);
  budget.left -= count;
  for (const folder of folders) {
    if (budget.left <= 0) break;
    count += await countFiles(join(dir, folder), budget);
  }
  return count;
}

async function subfolderOf(dir: string, name: string) {
  const path = join(dir, name);
  return { name, documents: (await readState(path))?.documents ?? (await countFiles(path)) };
}

/** Writes one summary file if it is absent or still the generated one; its hash, or null if not ours. */
async function replaceIfOurs(
  core: FsCore,
  ctx: RequestContext,
  target: { folder: ResolvedUri; file: SummaryFile; content: string },
  state: State | null,
): Promise<string | null> {
  const path = join(pathOf(core, ctx, target.folder), target.file);
  return core.mutex.run(path, async () => {
    const current = await readTextNoFollow(path).catch(() => null);
    const ours = current === null || (state !== null && state[target.file] === sha(current));
    if (!ours) return null;
    // Not announced to the indexer: generated summaries are not indexed (storage/summary-state.ts).
    if (current !== target.content)
      await writeFileAtomic(path, target.content, { within: accountRoot(core, ctx) });
    return sha(target.content);
  });
}

/** Rebuilds one folder's summaries and state from its direct entries. */
async function refreshFolder(core: FsCore, ctx: RequestContext, folder: ResolvedUri) {
  const dir = pathOf(core, ctx, folder);
  await core.mutex.run(join(dir, SUMMARY_STATE_FILE), async () => {
    const { files, folders } = await contentEntries(dir);
    const docs: ImportedDoc[] = [];
    for (const name of files.slice(0, MAX_FILES))
      docs.push({ path: name, content: await headOf(join(dir, name)) });
    const subfolders = await Promise.all(folders.map((name) => subfolderOf(dir, name)));
    const title = folder.segments[folder.segments.length - 1] ?? '';
    const summary = summariseFolder({ title, docs, subfolders });
    const state = await readState(dir);
    const next: State = {
      documents: files.length + subfolders.reduce((n, f) => n + f.documents, 0),
      '.abstract.md': await replaceIfOurs(
        core,
        ctx,
        { folder, file: '.abstract.md', content: summary.abstract },
        state,
      ),
      '.overview.md': await replaceIfOurs(
        core,
        ctx,
        { folder, file: '.overview.md', content: summary.overview },
        state,
      ),
    };
    await writeFileAtomic(join(dir, SUMMARY_STATE_FILE), `${JSON.stringify(next)}\n`, {
      within: accountRoot(core, ctx),
    });
  });
}

/**
 * Refreshes the folder of `segments` and each folder above it below `viking://resources` (deepest
 * first, so each level reads its sub-folders' fresh counts); other scopes keep their own summaries.
 * A summary is derived data: a failure here (a folder removed meanwhile) leaves the change that
 * triggered it standing, and the next write rebuilds it.
 */
async function refreshFrom(core: FsCore, ctx: RequestContext, segments: readonly string[]) {
  if (segments[0] !== 'resources') return;
  try {
    for (let depth = segments.length; depth >= 2; depth--) {
      const folder = resolveUri(`viking://${segments.slice(0, depth).join('/')}`, null, ctx.policy);
      await refreshFolder(core, ctx, folder);
    }
  } catch {
    // See above: the change stands; the summaries catch up on the next write.
  }
}

/** After a file or folder at `changed` was written, removed or moved away: its parents' summaries. */
export function refreshAbove(core: FsCore, ctx: RequestContext, changed: ResolvedUri): Promise<void> {
  return refreshFrom(core, ctx, changed.segments.slice(0, -1));
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
  return refreshFrom(core, ctx, first.slice(0, common));
}

/** Whether a canonical file URI is a generated `.abstract.md`/`.overview.md` (not indexed). */
export async function isGeneratedSummary(core: FsCore, ctx: RequestContext, uri: string): Promise<boolean> {
  const slash = uri.lastIndexOf('/');
  const name = uri.slice(slash + 1);
  if (name !== '.abstract.md' && name !== '.overview.md') return false;
  const folder = resolveUri(uri.slice(0, slash), null, ctx.policy);
  return (await generatedSummaryNames(pathOf(core, ctx, folder))).has(name);
}
