/**
 * The Arrow schema of the records table, derived from the column table (policy/columns.ts), and the
 * conversion of records to record batches (typed arrays, not JS objects: LanceDB ingests batches
 * about four times faster).
 */
import {
  Field,
  FixedSizeList,
  Float32,
  Float64,
  Int32,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Table as ArrowTable,
  Utf8,
  vectorFromArray,
  type Data,
  type DataType,
} from 'apache-arrow';
import { assertNever } from '../errors.js';
import { releaseBuffer } from '../release-buffer.js';
import { COLUMN_NAMES, COLUMNS, hasKind, type ColumnKind, type IndexRecord } from '../policy/index.js';

/** Schema metadata keys holding the embedder identity. */
export const META_EMBEDDER_ID = 'vikingscope.embedder_id';
export const META_EMBEDDER_DIMENSION = 'vikingscope.embedder_dimension';

function vectorType(dimension: number): FixedSizeList<Float32> {
  return new FixedSizeList(dimension, new Field('item', new Float32(), true));
}

/** The Arrow type of a column. */
function arrowType(kind: ColumnKind, dimension: number): DataType {
  switch (kind) {
    case 'string':
      return new Utf8();
    case 'int':
      return new Int32();
    case 'time':
      return new Float64();
    case 'vector':
      return vectorType(dimension);
    default:
      return assertNever(kind);
  }
}

/** The records table schema (the column table, in its order), carrying the embedder identity as metadata. */
export function recordSchema(embedderId: string, dimension: number): Schema {
  const fields = COLUMN_NAMES.map((name) => {
    const { kind, nullable } = COLUMNS[name];
    return new Field(name, arrowType(kind, dimension), nullable);
  });
  return new Schema(
    fields,
    new Map([
      [META_EMBEDDER_ID, embedderId],
      [META_EMBEDDER_DIMENSION, String(dimension)],
    ]),
  );
}

function vectorData(records: readonly IndexRecord[], dimension: number): Data<FixedSizeList<Float32>> {
  const values = new Float32Array(records.length * dimension);
  records.forEach((r, i) => values.set(r.vector.subarray(0, dimension), i * dimension));
  const child = makeData({ type: new Float32(), length: values.length, data: values });
  return makeData({ type: vectorType(dimension), length: records.length, nullCount: 0, child });
}

/**
 * A Utf8 column straight from its buffers (offsets, bytes, validity): several times faster than
 * apache-arrow's generic builder, which dominated ingest.
 */
function utf8Data(values: ReadonlyArray<string | null>): Data<Utf8> {
  const n = values.length;
  const offsets = new Int32Array(n + 1);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const value = values[i];
    total += value === null || value === undefined ? 0 : Buffer.byteLength(value, 'utf8');
    offsets[i + 1] = total;
  }
  const bytes = Buffer.allocUnsafe(total);
  const validity = new Uint8Array(Math.ceil(n / 8));
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    const value = values[i];
    if (value === null || value === undefined) nulls += 1;
    else {
      bytes.write(value, offsets[i] as number, 'utf8');
      validity[i >> 3] = (validity[i >> 3] as number) | (1 << (i & 7));
    }
  }
  const data = new Uint8Array(bytes.buffer, bytes.byteOffset, total);
  return makeData({
    type: new Utf8(),
    length: n,
    nullCount: nulls,
    valueOffsets: offsets,
    data,
    ...(nulls > 0 ? { nullBitmap: validity } : {}),
  });
}

/** Column data in schema order, built from the column table (never from a foreign schema). */
function columnData(records: readonly IndexRecord[], dimension: number): Data[] {
  return COLUMN_NAMES.map((name): Data => {
    if (hasKind(name, 'string')) return utf8Data(records.map((r) => r[name]));
    if (hasKind(name, 'int'))
      return vectorFromArray(Int32Array.from(records.map((r) => r[name]))).data[0] as Data;
    if (hasKind(name, 'time'))
      return vectorFromArray(Float64Array.from(records.map((r) => r[name]))).data[0] as Data;
    if (hasKind(name, 'vector')) return vectorData(records, dimension);
    return assertNever(name);
  });
}

/** One record batch of records, in schema order. */
function recordBatch(schema: Schema, records: readonly IndexRecord[], dimension: number): RecordBatch {
  // `schema` must come from recordSchema(): columnData() follows the same field order.
  for (const r of records) {
    if (r.vector.length !== dimension) throw new Error(`vector of ${r.uri} has ${r.vector.length} dims`);
  }
  const children = columnData(records, dimension);
  const data = makeData({ type: new Struct(schema.fields), length: records.length, nullCount: 0, children });
  return new RecordBatch(schema, data);
}

/** One Arrow table (a single record batch) of records, in schema order. */
export function toArrowTable(schema: Schema, records: readonly IndexRecord[], dimension: number): ArrowTable {
  return new ArrowTable(recordBatch(schema, records, dimension));
}

/** Records per record batch of {@link recordBatches} (12.4k records took 130–200 ms at once: ~3–4 ms a batch). */
export const ARROW_BATCH_ROWS = 256;

/**
 * {@link toArrowTable}'s record batches one at a time, each of {@link ARROW_BATCH_ROWS} records
 * (mapped by `each` first), built when asked for: the caller yields the event loop between two
 * (lance-ipc.ts serialises each as it comes). A 9.5 MiB file (~12.5k records) took one block of
 * ~200 ms at rest (seconds under load) to convert at once.
 */
export function* recordBatches(
  schema: Schema,
  records: readonly IndexRecord[],
  dimension: number,
  each: (record: IndexRecord) => IndexRecord = (r) => r,
): Generator<RecordBatch> {
  for (let from = 0; from < records.length; from += ARROW_BATCH_ROWS) {
    yield recordBatch(schema, records.slice(from, from + ARROW_BATCH_ROWS).map(each), dimension);
  }
}

/**
 * Frees the memory of a batch of {@link recordBatches} once it is written (lance-ipc.ts copies it
 * into the IPC file): its columns' buffers (~3 KB a record, a 9.5 MiB file's 36 MB) otherwise stayed
 * allocated until a full garbage collection, which an idle server does not run. The batch must not be
 * used afterwards. The records it was built from are untouched (their values were copied).
 */
export function releaseBatch(batch: RecordBatch): void {
  const pending: Data[] = [batch.data];
  for (let data = pending.pop(); data !== undefined; data = pending.pop()) {
    for (const buffer of [data.values, data.valueOffsets, data.nullBitmap, data.typeIds] as unknown[]) {
      if (ArrayBuffer.isView(buffer) && !(buffer instanceof DataView)) releaseBuffer(buffer);
    }
    pending.push(...data.children);
  }
}
