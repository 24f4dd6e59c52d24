/**
 * The index's durable markers in `{DATA_DIR}/index/`, kept beside the journal because LANCEDB_URI
 * may be remote:
 * - `index-state.json`: the table version at the last clean stop (or re-index). LanceDB versions
 *   only grow, so an index found older than that (an old copy put back) has lost commits.
 * - `reset-pending`: a re-index is dropping the table on purpose. Until the new table exists, the
 *   next open drops whatever is left (a drop killed half-way leaves a table that cannot be read).
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../storage/atomic.js';
import { queueDir } from './queue.js';

const markerSchema = z.object({ lancedb_uri: z.string(), version: z.number().int().nonnegative() });
export type IndexMarker = z.infer<typeof markerSchema>;

const markerPath = (dataDir: string): string => join(queueDir(dataDir), 'index-state.json');
const resetPath = (dataDir: string): string => join(queueDir(dataDir), 'reset-pending');

/** Records the index's version (at a clean stop, or after a re-index). */
export async function saveIndexMarker(dataDir: string, lancedbUri: string, version: number): Promise<void> {
  const marker: IndexMarker = { lancedb_uri: lancedbUri, version };
  await writeFileAtomic(markerPath(dataDir), JSON.stringify(marker));
}

/** The marker, or null if there is none (or it is unreadable: then nothing is judged behind). */
export async function readIndexMarker(dataDir: string): Promise<IndexMarker | null> {
  try {
    return markerSchema.parse(JSON.parse(await readFile(markerPath(dataDir), 'utf8')));
  } catch {
    return null;
  }
}

/** Before the table is dropped on purpose: forgets its version and makes the drop survive a kill. */
export async function markResetPending(dataDir: string): Promise<void> {
  await rm(markerPath(dataDir), { force: true });
  await writeFileAtomic(resetPath(dataDir), '');
}

export async function resetPending(dataDir: string): Promise<boolean> {
  try {
    await readFile(resetPath(dataDir));
    return true;
  } catch {
    return false;
  }
}

/** Once the new table exists. */
export async function clearResetPending(dataDir: string): Promise<void> {
  await rm(resetPath(dataDir), { force: true });
}
