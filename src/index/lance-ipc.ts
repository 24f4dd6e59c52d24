/**
 * The records table's two writes (append, merge by id) with the Arrow IPC bytes built here, in turns
 * of the event loop, instead of by LanceDB. Issue 23 item 5: `Table.add` and
 * `mergeInsert(…).execute` serialise their whole input to one IPC file in one synchronous call
 * (`fromTableToBuffer`: `RecordBatchFileWriter.writeAll`, the chunks joined, then copied again by
 * `Buffer.from`), a block of ~350–400 ms for a 9.5 MiB file (12.4k records, 36 MB of IPC) that every
 * other tenant's request waited behind, and three copies of the bytes alive at once.
 *
 * THIS REACHES PAST LANCEDB'S PUBLIC API. In @lancedb/lancedb 0.37 a `LocalTable` keeps its native
 * table in the (TypeScript-private) field `inner`, whose `add(buffer, mode)` and
 * `mergeInsert(on).whenMatchedUpdateAll().whenNotMatchedInsertAll().execute(buffer)` take the bytes
 * of an Arrow IPC *file* — exactly what the public `add` and `MergeInsertBuilder.execute` hand them
 * after their own serialisation. {@link NativeWrites.of} checks that shape when the table opens and
 * throws an error naming the installed version when it is missing (a LanceDB upgrade must revisit
 * this module; lance-ipc.test.ts fails first). Each write stays one call, so one LanceDB commit:
 * a file's records are never split across commits (a search between two would see half a file).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as lancedb from '@lancedb/lancedb';
import { RecordBatchFileWriter, type RecordBatch, type Schema } from 'apache-arrow';
import { eachInSlices, type SliceOptions } from '../time-slices.js';

/** The LanceDB release whose private shape this module was written against. */
export const LANCEDB_SHAPE_VERSION = '0.37';

interface NativeMerge {
  whenMatchedUpdateAll(condition?: string | null): NativeMerge;
  whenNotMatchedInsertAll(): NativeMerge;
  execute(file: Buffer): Promise<unknown>;
}

interface NativeTable {
  add(file: Buffer, mode: string): Promise<unknown>;
  mergeInsert(on: string[]): NativeMerge;
}

const hasMethods = (value: unknown, names: readonly string[]): boolean =>
  typeof value === 'object' &&
  value !== null &&
  names.every((name) => typeof (value as Record<string, unknown>)[name] === 'function');

/** The installed @lancedb/lancedb version, for the error (its `exports` hide package.json). */
function installedVersion(): string {
  try {
    const main = createRequire(import.meta.url).resolve('@lancedb/lancedb');
    const pkg = JSON.parse(readFileSync(join(dirname(main), '..', 'package.json'), 'utf8')) as {
      version?: unknown;
    };
    return String(pkg.version);
  } catch {
    return 'unknown';
  }
}

/** A table's native append and merge by id, fed IPC file bytes (see the module header). */
export class NativeWrites {
  private constructor(private readonly native: NativeTable) {}

  /** The native writes of `table`; throws, naming the version, when LanceDB no longer has this shape. */
  static of(table: lancedb.Table): NativeWrites {
    const inner = (table as unknown as { inner?: unknown }).inner;
    const merge = hasMethods(inner, ['add', 'mergeInsert'])
      ? (inner as NativeTable).mergeInsert(['id'])
      : undefined;
    if (!hasMethods(merge, ['whenMatchedUpdateAll', 'whenNotMatchedInsertAll', 'execute'])) {
      throw new Error(
        `@lancedb/lancedb ${installedVersion()} has no LocalTable.inner.add / inner.mergeInsert(…).execute ` +
          `of the shape src/index/lance-ipc.ts relies on (written against ${LANCEDB_SHAPE_VERSION}): ` +
          'revisit that module for this LanceDB version',
      );
    }
    return new NativeWrites(inner as NativeTable);
  }

  /** Appends the rows of an IPC file: one commit. */
  async append(file: Buffer): Promise<void> {
    await this.native.add(file, 'append');
  }

  /** Replaces the rows with the file's ids, inserting the others (`mergeInsert('id')`): one commit. */
  async mergeById(file: Buffer): Promise<void> {
    await this.native.mergeInsert(['id']).whenMatchedUpdateAll().whenNotMatchedInsertAll().execute(file);
  }
}

/**
 * The Arrow IPC file of `batches` (all of `schema`), the bytes `RecordBatchFileWriter.writeAll`
 * gives, without a long block: the batches are produced and serialised in time slices
 * (`eachInSlices`: a batch built lazily counts in its slice), then copied once into one buffer, also
 * in slices, each chunk dropped once copied. The writer's chunks are views of the batches' own
 * buffers, so the bytes exist twice at most (LanceDB's path held them three times).
 */
export async function ipcFile(
  schema: Schema,
  batches: Iterable<RecordBatch>,
  options: SliceOptions = {},
): Promise<Buffer> {
  const writer = new RecordBatchFileWriter();
  const chunks: Uint8Array[] = [];
  const drained = (async () => {
    for await (const chunk of writer as AsyncIterable<Uint8Array>) chunks.push(chunk);
  })();
  writer.reset(undefined, schema);
  await eachInSlices(batches, (batch) => writer.write(batch), options);
  writer.finish();
  await drained;
  const file = Buffer.allocUnsafe(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  const none = new Uint8Array(0);
  await eachInSlices(
    chunks,
    (chunk, i) => {
      file.set(chunk, at);
      at += chunk.byteLength;
      chunks[i] = none;
    },
    options,
  );
  return file;
}
