/**
 * OpenViking's `pack/backup` and `pack/restore` (ROOT or ADMIN): a restore-only `.ovpack` of every
 * scope the caller may read — `resources`, and the user and agent scopes visible to it; sessions are
 * written only through the session API, so they are not part of it — and its restore in place. The
 * pack's root folder is `openviking-backup`, below it the paths after `viking://`. A restore writes
 * through `writeMany` as the caller, which checks every target's write permission before the first
 * write: a backup of scopes the caller may not write is refused whole (403), nothing written.
 */
import { zipSync, type Zippable } from 'fflate';
import { z } from 'zod';
import { AppError } from '../errors.js';
import type { Vfs } from '../fs/index.js';
import type { RequestContext } from '../policy/index.js';
import { applyConflictPolicy, checkVectorMode, conflictPolicy, vectorMode } from './conflict.js';
import { relPathOf, rootNameOf, zipPathOf } from './layout.js';
import { textOf, type PackLimits, type PackService } from './service.js';
import { ROOT_URI } from '../policy/index.js';

export const BACKUP_ROOT = 'openviking-backup';
/** Scopes a backup holds (and a restore writes). */
const SCOPES = new Set(['resources', 'user', 'agent']);
const EMPTY = new Uint8Array(0);

export const packBackupSchema = z.object({ include_vectors: z.boolean().optional() }).nullish();
export const packRestoreSchema = z.object({
  temp_file_id: z.string().min(1),
  on_conflict: conflictPolicy.nullish(),
  vector_mode: vectorMode.nullish(),
});
export type PackRestoreBody = z.output<typeof packRestoreSchema>;

function requireAdmin(ctx: RequestContext, what: string): void {
  if (ctx.role === 'user') throw new AppError('PERMISSION_DENIED', `${what} is for ROOT or an account ADMIN`);
}

export class PackBackups {
  constructor(
    private readonly vfs: Vfs,
    private readonly packs: PackService,
    private readonly limits: PackLimits,
  ) {}

  /** Everything the caller may read in the backed-up scopes, as a restore-only pack. */
  async backup(ctx: RequestContext): Promise<{ filename: string; data: Uint8Array }> {
    requireAdmin(ctx, 'a backup');
    const entries = await this.vfs.tree(ctx, ROOT_URI, {
      levelLimit: Number.MAX_SAFE_INTEGER,
      nodeLimit: this.limits.maxEntries + 1,
      showAllHidden: true,
    });
    const kept = entries.filter((e) => SCOPES.has(e.rel_path.split('/')[0] ?? ''));
    if (kept.length > this.limits.maxEntries) {
      throw new AppError('PAYLOAD_TOO_LARGE', `a pack may hold at most ${this.limits.maxEntries} entries`, {
        uri: ROOT_URI,
        limit: this.limits.maxEntries,
      });
    }
    const files: Zippable = { [`${BACKUP_ROOT}/`]: EMPTY };
    let total = 0;
    for (const entry of kept) {
      const zipPath = zipPathOf(BACKUP_ROOT, entry.rel_path);
      if (entry.isDir) {
        files[`${zipPath}/`] = EMPTY;
        continue;
      }
      const data = Buffer.from(await this.vfs.read(ctx, entry.uri), 'utf8');
      total += data.length;
      if (total > this.limits.maxTotalBytes) {
        throw new AppError(
          'PAYLOAD_TOO_LARGE',
          `a pack may hold at most ${this.limits.maxTotalBytes} bytes`,
          {
            uri: ROOT_URI,
            max_bytes: this.limits.maxTotalBytes,
          },
        );
      }
      files[zipPath] = data;
    }
    return { filename: `${BACKUP_ROOT}.ovpack`, data: zipSync(files, { level: 6 }) };
  }

  /** Writes a backup's files back at their URIs, under the conflict policy (default `fail`). */
  async restore(ctx: RequestContext, body: PackRestoreBody) {
    requireAdmin(ctx, 'a restore');
    checkVectorMode(body.vector_mode);
    const entries = await this.packs.entries(ctx, body.temp_file_id);
    const root = rootNameOf(entries.map((e) => e.path));
    if (root !== BACKUP_ROOT) {
      throw new AppError(
        'INVALID_ARGUMENT',
        `not a backup pack (its root is "${root}"): import it with pack/import`,
        {
          root,
        },
      );
    }
    const files = entries.map((entry) => {
      const rel = relPathOf(entry.path);
      if (!SCOPES.has(rel.split('/')[0] ?? '')) {
        throw new AppError('INVALID_ARGUMENT', 'a backup holds only resources, user and agent files', {
          entry: entry.path,
        });
      }
      return { uri: `viking://${rel}`, content: textOf(entry.path, entry.data) };
    });
    const { write, skipped } = await applyConflictPolicy(this.vfs, ctx, files, body.on_conflict ?? 'fail');
    await this.vfs.writeMany(ctx, write);
    return { uri: ROOT_URI, written: write.length, skipped: skipped.length };
  }
}
