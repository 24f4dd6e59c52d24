/**
 * Reading LanceDB result batches (LanceDB's own apache-arrow copy, read through a structural shape)
 * straight from their buffers: a column as JS values and the vectors as views, for the mirror's load
 * and for the rows the store reads back from the table.
 */
/** Column data of a LanceDB result batch (its own apache-arrow copy, read through this shape). */
interface ArrowData {
  readonly offset: number;
  readonly length: number;
  readonly nullCount: number;
  readonly nullBitmap?: Uint8Array | null;
  readonly valueOffsets?: Int32Array | BigInt64Array | null;
  readonly values?: ArrayLike<number> | null;
  readonly children?: readonly ArrowData[];
}

export interface ArrowBatch {
  readonly numRows: number;
  getChild(name: string): { readonly data: readonly ArrowData[] } | null;
}

/** One column of a batch as JS values, read from the buffers (per-row `get()` is far slower). */
export function readColumn(column: { readonly data: readonly ArrowData[] } | null, rows: number): unknown[] {
  const out: unknown[] = [];
  for (const data of column?.data ?? []) {
    const offsets = data.valueOffsets;
    const values = data.values;
    for (let i = 0; i < data.length; i++) {
      const at = data.offset + i;
      const valid =
        data.nullCount === 0 || !data.nullBitmap || ((data.nullBitmap[at >> 3] ?? 0) & (1 << (at & 7))) !== 0;
      if (!valid || values === null || values === undefined) out.push(null);
      else if (offsets !== null && offsets !== undefined) {
        const bytes = values as Uint8Array;
        const from = Number(offsets[at]);
        const to = Number(offsets[at + 1]);
        out.push(Buffer.from(bytes.buffer, bytes.byteOffset + from, to - from).toString('utf8'));
      } else out.push(values[at]);
    }
  }
  if (out.length !== rows) throw new Error(`column has ${out.length} values for ${rows} rows`);
  return out;
}

/** The vectors of a batch as views into its fixed-size-list buffer. */
export function readVectors(
  column: { readonly data: readonly ArrowData[] } | null,
  dimension: number,
): Float32Array[] {
  const out: Float32Array[] = [];
  for (const data of column?.data ?? []) {
    const child = data.children?.[0];
    const values = child?.values;
    if (!(values instanceof Float32Array) || child === undefined) throw new Error('vector column unreadable');
    for (let i = 0; i < data.length; i++) {
      const start = child.offset + (data.offset + i) * dimension;
      out.push(values.subarray(start, start + dimension));
    }
  }
  return out;
}
