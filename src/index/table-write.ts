/**
 * How a batch of records reaches the records table so that it holds exactly one row per id, and what
 * each of its LanceDB commits costs. The table alone says which ids it holds (never the mirror):
 *
 * - ids it lacks are appended (`add`): a commit of the new rows alone;
 * - ids it holds are merged by id (`mergeInsert`): the old row replaced by the new one in one commit.
 *
 * Which ids it lacks comes from one `id IN (…)` query (btree index on `id`), or, during a bulk load,
 * from the ids the table held when the load began ({@link BulkIds}). A hint (the mirror) may send an
 * id straight to the merge, skipping the query: a merge is correct whether or not the table holds the
 * id, so a wrong hint costs time, never a row. Only the table's own answer ever leads to an append.
 * Why: a merge joins its input against the table, a cost that grows with the table and with the
 * fragments and deletions written since the last compaction (~115–123 ms per single write at 1M),
 * where the query and the append cost a few ms each (docs/BENCHMARKS.md, "Single writes by write
 * path": new ids 3.3× faster at 200k).
 *
 * Why this never stores an id twice nor loses a record, even across a crash between the two commits:
 * this process is the table's only writer (the DATA_DIR lock) and the store calls this under its write
 * lock, so no id the query found absent can be written by anyone before the append. Each commit is
 * correct on its own: the append adds rows whose ids the table lacked, the merge replaces rows by id
 * (and would insert an id deleted meanwhile rather than drop it). If the process dies after the first
 * commit, the batch is written again from the index journal; the ids appended the first time are then
 * held, so they are merged, not appended twice. A failed commit leaves the same state, and the store
 * re-reads every id of the batch into the mirror from the table.
 *
 * Each commit gets its records as one Arrow IPC file built in turns of the event loop
 * ({@link recordSink}, lance-ipc.ts): never split into several commits. Both files of a write are
 * built before its first commit: what LanceDB's commits hold at their peak (a copy of the file, the
 * merge's join) then need not coexist with the records' vectors (issue 23 item 5).
 */
import type * as lancedb from '@lancedb/lancedb';
import type { RecordBatch, Schema } from 'apache-arrow';
import type { IndexRecord } from '../policy/index.js';
import { releaseBuffer } from '../release-buffer.js';
import type { SliceOptions } from '../time-slices.js';
import { recordBatches, releaseBatch } from './arrow.js';
import type { BulkIds } from './bulk-ids.js';
import { ipcFile, NativeWrites } from './lance-ipc.js';
import { heldIds } from './table-reads.js';

/**
 * `split`: append what the table lacks, merge what it holds (the default); `merge`: one merge by id
 * for every record (the path before, kept as the benchmark's baseline and for comparison tests).
 */
export type WritePath = 'split' | 'merge';

/**
 * Where records reach the table: {@link file} turns records into the bytes of one commit, {@link
 * append} and {@link mergeById} commit such bytes (one LanceDB commit each) and free them after.
 */
export interface RecordSink {
  file(records: readonly IndexRecord[]): Promise<Buffer>;
  append(file: Buffer): Promise<void>;
  mergeById(file: Buffer): Promise<void>;
}

/**
 * The sink of `table` (records of `schema`, each mapped by `each` first): the records as one IPC
 * file built in time slices, handed to LanceDB's native append or merge (lance-ipc.ts, which throws
 * here when LanceDB's private shape is missing).
 */
export function recordSink(
  table: lancedb.Table,
  schema: Schema,
  dimension: number,
  each?: (record: IndexRecord) => IndexRecord,
  slices: SliceOptions = {},
): RecordSink {
  const native = NativeWrites.of(table);
  // Once LanceDB has the rows, the file's memory is freed at once (release-buffer.ts).
  const committed = async (file: Buffer, write: (file: Buffer) => Promise<void>) => {
    try {
      await write(file);
    } finally {
      releaseBuffer(file);
    }
  };
  return {
    async file(records) {
      const built: RecordBatch[] = [];
      function* batches(): Generator<RecordBatch> {
        for (const batch of recordBatches(schema, records, dimension, each)) {
          built.push(batch);
          yield batch;
        }
      }
      try {
        return await ipcFile(schema, batches(), slices);
      } finally {
        // Copied into the file: their memory is freed now, not at a full collection.
        built.forEach(releaseBatch);
      }
    },
    append: (file) => committed(file, (bytes) => native.append(bytes)),
    mergeById: (file) => committed(file, (bytes) => native.mergeById(bytes)),
  };
}

/** What {@link writeRecords} did: the records appended and those merged by id. */
export interface WriteCounts {
  readonly appended: number;
  readonly merged: number;
}

/** Where {@link writeRecords} learns, without asking the table, what an id's write needs. */
export interface WriteOptions {
  /** While a bulk load runs: the ids the table certainly lacks. */
  readonly bulk: BulkIds | null;
  readonly path: WritePath;
  /** Ids the table probably holds (the mirror): merged without a query. */
  readonly likelyHeld?: (id: string) => boolean;
  /**
   * Awaited once every file of the write is built, before its first commit: from then on the write
   * reads nothing of the records (their vectors may be freed).
   */
  readonly built?: () => Promise<void>;
}

/** Writes `records` (one per id) to `table`; see the module header. */
export async function writeRecords(
  table: lancedb.Table,
  records: readonly IndexRecord[],
  sink: RecordSink,
  options: WriteOptions,
): Promise<WriteCounts> {
  const { fresh, known } = await partition(table, records, options);
  let appended: Buffer | null = null;
  let merged: Buffer | null = null;
  try {
    // Both files before either commit, so that the records are done with before LanceDB's work starts.
    if (fresh.length > 0) appended = await sink.file(fresh);
    if (known.length > 0) merged = await sink.file(known);
    await options.built?.();
    if (appended !== null) await sink.append(appended);
    if (merged !== null) await sink.mergeById(merged);
  } finally {
    // A file no commit took (a failure came first) is freed here; one a commit took is already.
    for (const file of [appended, merged]) if (file !== null) releaseBuffer(file);
  }
  return { appended: fresh.length, merged: known.length };
}

/** Records whose ids the table lacks (`fresh`) and those it holds or may hold (`known`). */
async function partition(
  table: lancedb.Table,
  records: readonly IndexRecord[],
  { bulk, path, likelyHeld }: WriteOptions,
): Promise<{ fresh: IndexRecord[]; known: IndexRecord[] }> {
  const fresh: IndexRecord[] = [];
  const known: IndexRecord[] = [];
  const ask: IndexRecord[] = [];
  for (const r of records) {
    if (bulk?.claim(r.id) === true) fresh.push(r);
    else if (path === 'merge' || likelyHeld?.(r.id) === true) known.push(r);
    else ask.push(r);
  }
  if (ask.length === 0) return { fresh, known };
  const held = await heldIds(
    table,
    ask.map((r) => r.id),
  );
  for (const r of ask) (held.has(r.id) ? known : fresh).push(r);
  return { fresh, known };
}
