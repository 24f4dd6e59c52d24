/**
 * What a pack import or restore does with files that already exist (OpenViking's `on_conflict`):
 * `fail` refuses (409), `overwrite` replaces them, `skip` keeps them and writes only the new ones —
 * and its `vector_mode`. Existence is asked through the filesystem service as the caller, so a file
 * the caller may not read is a 403 before anything is said about it; writing then goes through
 * `writeMany`, which checks every target's write permission before the first write.
 */
import { z } from 'zod';
import { AppError, isAppError } from '../errors.js';
import type { Vfs } from '../fs/index.js';
import type { BatchFile } from '../fs/write-ops.js';
import type { RequestContext } from '../policy/index.js';

export const conflictPolicy = z.enum(['fail', 'overwrite', 'skip']);
export type ConflictPolicy = z.output<typeof conflictPolicy>;
export const vectorMode = z.enum(['auto', 'recompute', 'require']);

/**
 * `require` asks to reuse vectors stored in the pack. Our packs carry none (every imported file is
 * embedded again by the indexer, as any write), so it is refused rather than silently recomputed.
 */
export function checkVectorMode(mode: z.output<typeof vectorMode> | null | undefined): void {
  if (mode === 'require') {
    throw new AppError(
      'FAILED_PRECONDITION',
      'vector_mode "require" needs vectors stored in the pack; VikingScope packs carry none and every imported file is embedded again (use "auto" or "recompute")',
    );
  }
}

/** Whether `uri` exists (400/403 if the caller may not address or read it). */
export async function exists(vfs: Vfs, ctx: RequestContext, uri: string): Promise<boolean> {
  try {
    await vfs.stat(ctx, uri);
    return true;
  } catch (error) {
    if (isAppError(error) && error.code === 'NOT_FOUND') return false;
    throw error;
  }
}

/** The files to write under `policy`, and the URIs of existing ones left alone (`skip`). */
export async function applyConflictPolicy(
  vfs: Vfs,
  ctx: RequestContext,
  files: readonly BatchFile[],
  policy: ConflictPolicy,
): Promise<{ write: BatchFile[]; skipped: string[] }> {
  if (policy === 'overwrite') return { write: [...files], skipped: [] };
  const write: BatchFile[] = [];
  const skipped: string[] = [];
  for (const file of files) {
    if (!(await exists(vfs, ctx, file.uri))) write.push(file);
    else if (policy === 'skip') skipped.push(file.uri);
    else {
      throw new AppError(
        'ALREADY_EXISTS',
        'a file of the pack exists; use on_conflict "overwrite" or "skip"',
        {
          uri: file.uri,
        },
      );
    }
  }
  return { write, skipped };
}
