/**
 * Pack export and import (OpenViking's `/api/v1/pack/{export,import}`), a per-tenant backup and
 * restore in the `.ovpack` layout (see layout.ts). Both go through the filesystem service with the
 * caller's context: an export walks only what the caller may read; an import checks every target
 * (shape, visibility, write rules, size) before its first write and writes nothing outside
 * `{parent}/{pack root}`. Uploaded archives are read by the defensive zip reader (zip-slip, absolute
 * paths, links, oversized, overlapping or too many entries are refused with 400/413; inflating runs
 * in a parse worker with a deadline).
 */
import { zipSync, type Zippable } from 'fflate';
import { z } from 'zod';
import { AppError, type ErrorDetails } from '../errors.js';
import type { Vfs } from '../fs/index.js';
import { resolveUri, type RequestContext } from '../policy/index.js';
import { ImportSkips } from '../resources/import-rule.js';
import { parsingFor } from '../resources/parse-jobs.js';
import { readZip, type ZipEntry, type ZipLimits } from '../resources/zip.js';
import { applyConflictPolicy, checkVectorMode, conflictPolicy, exists, vectorMode } from './conflict.js';
import { relPathOf, rootNameOf, zipPathOf } from './layout.js';

/** Reads an upload of the caller's account by its `temp_file_id`. */
export type UploadBytes = (ctx: RequestContext, temp_file_id: string) => Promise<Uint8Array>;

/** The limits of a pack; an upload is also read within the zip reader's ratio and deadline. */
export interface PackLimits extends Pick<ZipLimits, 'maxRatio' | 'timeoutMs'> {
  /** Files and folders in one pack. */
  readonly maxEntries: number;
  /** Largest file (the filesystem's own limit). */
  readonly maxEntryBytes: number;
  /** Largest sum of file sizes in one pack (413 above, on export and import). */
  readonly maxTotalBytes: number;
}

export interface PackDeps {
  readonly vfs: Vfs;
  readonly readUpload: UploadBytes;
  readonly limits: PackLimits;
}

/** Bodies of `POST /api/v1/pack/export` and `/pack/import` (declared and parsed by the routes). */
export const packExportSchema = z.object({
  uri: z.string().min(1),
  // OpenViking's packs may carry vectors; ours never do (an import embeds again): accepted, ignored.
  include_vectors: z.boolean().optional(),
});
export type PackExportBody = z.output<typeof packExportSchema>;
export const packImportSchema = z.object({
  temp_file_id: z.string().min(1),
  parent: z.string().min(1),
  /** OpenViking's newer clients; wins over `force` when both are sent. */
  on_conflict: conflictPolicy.nullish(),
  vector_mode: vectorMode.nullish(),
  /** The older clients' spelling: `true` is `on_conflict: "overwrite"`, `false` is `"fail"`. */
  force: z.boolean().default(false),
  // Accepted for OpenViking's clients; every imported file is indexed like any other write.
  vectorize: z.boolean().default(true),
});
export type PackImportBody = z.output<typeof packImportSchema>;

/** OpenViking answers `{uri}`; the counts are ours. */
export interface PackImportResult {
  uri: string;
  written: number;
  skipped: number;
  /** What the shared import rule left out (hidden files other than folder summaries, dependency folders). */
  warnings: string[];
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const EMPTY = new Uint8Array(0);

function tooLarge(message: string, details: ErrorDetails['PAYLOAD_TOO_LARGE']): AppError {
  return new AppError('PAYLOAD_TOO_LARGE', message, details);
}

export class PackService {
  constructor(private readonly deps: PackDeps) {}

  /** The subtree (or file) at `uri` as a `.ovpack` zip: only what the caller may read. */
  async export(
    ctx: RequestContext,
    { uri }: PackExportBody,
  ): Promise<{ filename: string; data: Uint8Array }> {
    const { vfs, limits } = this.deps;
    const root = await vfs.stat(ctx, uri);
    const base = root.uri.split('/').at(-1) || 'export';
    const files: Zippable = {};
    let total = 0;
    const add = async (zipPath: string, fileUri: string) => {
      const data = Buffer.from(await vfs.read(ctx, fileUri), 'utf8');
      total += data.length;
      if (total > limits.maxTotalBytes) {
        throw tooLarge(`a pack may hold at most ${limits.maxTotalBytes} bytes`, { uri: root.uri });
      }
      files[zipPath] = data;
    };
    if (!root.isDir) await add(base, root.uri);
    else {
      files[`${base}/`] = EMPTY;
      const entries = await vfs.tree(ctx, root.uri, {
        levelLimit: Number.MAX_SAFE_INTEGER,
        nodeLimit: limits.maxEntries + 1,
        showAllHidden: true,
      });
      if (entries.length > limits.maxEntries) {
        throw tooLarge(`a pack may hold at most ${limits.maxEntries} entries`, { uri: root.uri });
      }
      for (const entry of entries) {
        const zipPath = zipPathOf(base, entry.rel_path);
        if (entry.isDir) files[`${zipPath}/`] = EMPTY;
        // Generated folder summaries are left out: the importing side generates its own.
        else if (!(await vfs.isGeneratedSummary(ctx, entry.uri))) await add(zipPath, entry.uri);
      }
    }
    return { filename: `${base}.ovpack`, data: zipSync(files, { level: 6 }) };
  }

  /** The entries of an uploaded pack, read by the defensive zip reader within the pack limits. */
  async entries(ctx: RequestContext, temp_file_id: string): Promise<ZipEntry[]> {
    const bytes = await this.deps.readUpload(ctx, temp_file_id);
    return parsingFor(ctx.effective.account_id, () => readZip(bytes, this.deps.limits));
  }

  /**
   * Unpacks an uploaded `.ovpack` below `parent`; answers the canonical URI of the pack's root (and
   * how many files were written and skipped). An existing root is a 409 under `fail`; `overwrite`
   * replaces the pack's files, `skip` writes only those that do not exist yet.
   */
  async import(ctx: RequestContext, body: PackImportBody): Promise<PackImportResult> {
    const parent = resolveUri(body.parent, ctx.effective, ctx.policy);
    const policy = body.on_conflict ?? (body.force ? 'overwrite' : 'fail');
    checkVectorMode(body.vector_mode);
    const entries = await this.entries(ctx, body.temp_file_id);
    const base = rootNameOf(entries.map((e) => e.path));
    const root = resolveUri(`${parent.uri}/${base}`, null, ctx.policy);
    const skips = new ImportSkips();
    const kept = entries.filter((entry) => skips.take(relPathOf(entry.path), { keepSummaries: true }));
    const files = kept.map((entry) => {
      const rel = relPathOf(entry.path);
      return { uri: rel === '' ? root.uri : `${root.uri}/${rel}`, content: textOf(entry.path, entry.data) };
    });
    const existed = await exists(this.deps.vfs, ctx, root.uri);
    if (existed && policy === 'fail') {
      throw new AppError(
        'ALREADY_EXISTS',
        'the pack root exists; import with on_conflict "overwrite" or "skip"',
        {
          uri: root.uri,
        },
      );
    }
    const { write, skipped } = existed
      ? await applyConflictPolicy(this.deps.vfs, ctx, files, policy)
      : { write: files, skipped: [] };
    try {
      await this.deps.vfs.writeMany(ctx, write);
    } catch (error) {
      // writeMany refuses a batch before its first write; a failure while writing (disk full) leaves
      // part of a new import behind, which goes again so a failed import leaves nothing.
      if (!existed) await this.deps.vfs.rm(ctx, root.uri, true).catch(() => undefined);
      throw error;
    }
    return { uri: root.uri, written: write.length, skipped: skipped.length, warnings: skips.warnings() };
  }
}

/** An entry's text; the filesystem holds text only, so a binary entry is refused by name. */
export function textOf(path: string, data: Uint8Array): string {
  try {
    if (data.includes(0)) throw new TypeError('NUL byte');
    return utf8.decode(data);
  } catch {
    throw new AppError('INVALID_ARGUMENT', 'a pack entry is not UTF-8 text', { entry: path });
  }
}
