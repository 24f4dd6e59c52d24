/**
 * Extracted memories as ordinary files at OpenViking's places (SPEC 15), written through the
 * filesystem service as ROOT acting for the memory's owner — so they are listed, read, indexed and
 * searched like any file, with the same visibility:
 *
 * - `{user root}/memories/profile.md`: profile facts appended, one paragraph each;
 * - `{root}/memories/{category}/mem_{hash}.md`: one file per memory, named by a hash of its category
 *   and normalised content, so the same memory of the same owner lands in the same file and is merged
 *   (its sources gain the new messages) instead of repeated — also when an extraction is run again.
 *
 * Each memory records its source session and message ids in a trailing HTML comment line.
 */
import { createHash } from 'node:crypto';
import { AppError, isAppError } from '../errors.js';
import type { Vfs } from '../fs/index.js';
import type { RequestContext } from '../policy/index.js';
import type { PlannedMemory } from './attribute.js';

const SOURCES_PREFIX = '<!-- memory-sources: ';
const SOURCES_SUFFIX = ' -->';

/** Session id → message ids a memory came from. */
type Sources = Record<string, string[]>;

export type WriteOutcome = 'created' | 'merged' | 'unchanged';

function normalise(text: string): string {
  return text.toLowerCase().replace(/\s+/g, ' ').trim();
}

export function memoryUri(memory: PlannedMemory): string {
  if (memory.category === 'profile') return `${memory.root}/memories/profile.md`;
  const hash = createHash('sha256')
    .update(`${memory.category}\n${normalise(memory.content)}`)
    .digest('hex');
  return `${memory.root}/memories/${memory.category}/mem_${hash.slice(0, 32)}.md`;
}

function sourcesLine(sources: Sources): string {
  return `${SOURCES_PREFIX}${JSON.stringify(sources)}${SOURCES_SUFFIX}`;
}

/** The sources recorded on a line, or null if the line is not a sources line. */
function parseSources(line: string): Sources | null {
  if (!line.startsWith(SOURCES_PREFIX) || !line.endsWith(SOURCES_SUFFIX)) return null;
  try {
    const value: unknown = JSON.parse(line.slice(SOURCES_PREFIX.length, -SOURCES_SUFFIX.length));
    if (typeof value !== 'object' || value === null) return null;
    const out: Sources = {};
    for (const [session, ids] of Object.entries(value)) {
      if (Array.isArray(ids)) out[session] = ids.filter((id): id is string => typeof id === 'string');
    }
    return out;
  } catch {
    return null;
  }
}

/** Adds `ids` of `session` to `sources`; true if anything was new. */
function addSources(sources: Sources, session: string, ids: readonly string[]): boolean {
  const known = sources[session] ?? [];
  const fresh = ids.filter((id) => !known.includes(id));
  if (fresh.length > 0) sources[session] = [...known, ...fresh];
  return fresh.length > 0;
}

async function readOrNull(vfs: Vfs, ctx: RequestContext, uri: string): Promise<string | null> {
  try {
    return String(await vfs.read(ctx, uri));
  } catch (error) {
    if (isAppError(error) && error.code === 'NOT_FOUND') return null;
    throw error;
  }
}

/** A memory file's text: its abstract as a heading, its content, its sources. */
function memoryText(memory: PlannedMemory, sources: Sources): string {
  const heading = memory.abstract === '' ? '' : `# ${memory.abstract.replace(/\s+/g, ' ')}\n\n`;
  return `${heading}${memory.content}\n\n${sourcesLine(sources)}\n`;
}

/** Merges a memory into its own file (created, or its sources extended). */
async function writeOne(vfs: Vfs, ctx: RequestContext, session: string, memory: PlannedMemory) {
  const uri = memoryUri(memory);
  const existing = await readOrNull(vfs, ctx, uri);
  const lines = existing?.trimEnd().split('\n') ?? [];
  const sources = parseSources(lines.at(-1) ?? '') ?? {};
  if (!addSources(sources, session, memory.source_message_ids)) return { uri, outcome: 'unchanged' as const };
  await vfs.write(ctx, { uri, content: memoryText(memory, sources), mode: 'replace' });
  return { uri, outcome: existing === null ? ('created' as const) : ('merged' as const) };
}

/** Appends a profile fact as a paragraph, or extends the sources of the same fact already there. */
async function writeProfile(vfs: Vfs, ctx: RequestContext, session: string, memory: PlannedMemory) {
  const uri = memoryUri(memory);
  const existing = (await readOrNull(vfs, ctx, uri)) ?? '';
  const paragraphs = existing.split(/\n{2,}/).filter((p) => p.trim() !== '');
  const wanted = normalise(memory.content);
  for (const [i, paragraph] of paragraphs.entries()) {
    const lines = paragraph.split('\n');
    const sources = parseSources(lines.at(-1) ?? '');
    if (sources === null || normalise(lines.slice(0, -1).join('\n')) !== wanted) continue;
    if (!addSources(sources, session, memory.source_message_ids))
      return { uri, outcome: 'unchanged' as const };
    paragraphs[i] = [...lines.slice(0, -1), sourcesLine(sources)].join('\n');
    await vfs.write(ctx, { uri, content: `${paragraphs.join('\n\n')}\n`, mode: 'replace' });
    return { uri, outcome: 'merged' as const };
  }
  const sources: Sources = { [session]: [...memory.source_message_ids] };
  paragraphs.push(`${memory.content}\n${sourcesLine(sources)}`);
  await vfs.write(ctx, { uri, content: `${paragraphs.join('\n\n')}\n`, mode: 'replace' });
  return { uri, outcome: existing === '' ? ('created' as const) : ('merged' as const) };
}

/**
 * Writes one planned memory as ROOT acting for its owner (the only identity whose scope it lands in).
 * @example await writeMemory(vfs, policy, 'sess-1', planned) // { uri: 'viking://user/bob/memories/preferences/mem_….md', outcome: 'created' }
 */
export async function writeMemory(
  vfs: Vfs,
  policy: RequestContext['policy'],
  session_id: string,
  memory: PlannedMemory,
): Promise<{ uri: string; outcome: WriteOutcome }> {
  const ctx: RequestContext = { role: 'root', effective: memory.owner, policy };
  const write = memory.category === 'profile' ? writeProfile : writeOne;
  try {
    return await write(vfs, ctx, session_id, memory);
  } catch (error) {
    if (isAppError(error)) throw error;
    throw new AppError('INTERNAL', 'a memory could not be written', { uri: memoryUri(memory) });
  }
}
