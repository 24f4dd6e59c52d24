/**
 * Issue 23 item 5: the records table's writes get their Arrow IPC file built here in time slices
 * (lance-ipc.ts), fed to LanceDB's private native writes. These fail if a LanceDB upgrade removes
 * that shape, if the bytes differ from LanceDB's own serialisation, or if the build blocks the event
 * loop from the first batch to the last.
 */
import * as lancedb from '@lancedb/lancedb';
import { RecordBatchFileWriter, Table as ArrowTable } from 'apache-arrow';
import { tempDir } from '../../test/helpers/temp-dir.js';
import type { IndexRecord } from '../policy/index.js';
import { ARROW_BATCH_ROWS, recordBatches, recordSchema, toArrowTable } from './arrow.js';
import { ipcFile, NativeWrites } from './lance-ipc.js';
import { recordSink } from './table-write.js';

const DIM = 8;
const schema = recordSchema('test:ipc', DIM);

function records(n: number, word = 'alpha'): IndexRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `r${i}`,
    account_id: 'acme',
    uri: `viking://resources/f${i}.md`,
    scope: 'resources',
    owner_user_id: i % 3 === 0 ? null : 'u1',
    owner_agent_id: null,
    context_type: 'resource',
    text: `${word} héllo ${i}`,
    abstract: `${word} ${i}`,
    session_id: null,
    message_id: null,
    role: null,
    role_id: null,
    level: 2,
    chunk_index: i,
    created_at: 1000 + i,
    updated_at: 2000.5 + i,
    vector: Float32Array.from({ length: DIM }, (_, j) => Math.sin(i + j)),
  }));
}

describe('lance-ipc', () => {
  let dir: ReturnType<typeof tempDir>;
  let db: lancedb.Connection;
  let table: lancedb.Table;

  beforeEach(async () => {
    dir = tempDir('vs-lance-ipc-');
    db = await lancedb.connect(dir.path);
    table = await db.createEmptyTable('records', schema);
  });

  afterEach(() => {
    table.close();
    db.close();
    dir.remove();
  });

  test('the installed LanceDB still has the private native writes this module relies on', () => {
    expect(() => NativeWrites.of(table)).not.toThrow();
  });

  test('a table without that shape is refused with an error naming the version', () => {
    const fake = { inner: { add: () => Promise.resolve() } } as unknown as lancedb.Table;
    expect(() => NativeWrites.of(fake)).toThrow(
      /@lancedb\/lancedb \S+ has no LocalTable\.inner.*written against 0\.37/,
    );
  });

  test('the IPC file is byte for byte the one LanceDB builds itself for the same records', async () => {
    const rows = records(2 * ARROW_BATCH_ROWS + 7);
    // What LanceDB's public add hands its native side (captured on the way).
    const inner = (table as unknown as { inner: { add: (b: Buffer, m: string) => Promise<unknown> } }).inner;
    const nativeAdd = inner.add.bind(inner);
    let theirs: Buffer | undefined;
    inner.add = (buffer, mode) => {
      theirs = Buffer.from(buffer);
      return nativeAdd(buffer, mode);
    };
    const batches = [...recordBatches(schema, rows, DIM)];
    await table.add(new ArrowTable(batches));
    const ours = await ipcFile(schema, batches);
    expect(theirs).toBeDefined();
    expect(ours.equals(theirs as Buffer)).toBe(true);
    // And what apache-arrow's writeAll gives for the one-batch table LanceDB got before.
    const whole = RecordBatchFileWriter.writeAll(toArrowTable(schema, rows.slice(0, 3), DIM)).toUint8Array(
      true,
    );
    expect((await ipcFile(schema, recordBatches(schema, rows.slice(0, 3), DIM))).equals(whole)).toBe(true);
  });

  test('building the file yields the event loop between batches', async () => {
    let ticks = 0;
    let ticking = true;
    const tick = () => {
      ticks += 1;
      if (ticking) setImmediate(tick);
    };
    const seen: number[] = [];
    const rows = records(4 * ARROW_BATCH_ROWS);
    setImmediate(tick);
    await ipcFile(
      schema,
      recordBatches(schema, rows, DIM, (r) => {
        seen.push(ticks);
        return r;
      }),
      { sliceMs: 0 },
    ).finally(() => (ticking = false));
    // A batch is built before the slice's clock is read, so the first two share a turn; from then on
    // each batch is built in a turn of its own.
    const perBatch = [1, 2, 3].map((b) => seen[b * ARROW_BATCH_ROWS] ?? -1);
    expect(perBatch[1]).toBeGreaterThan(perBatch[0] ?? 0);
    expect(perBatch[2]).toBeGreaterThan(perBatch[1] ?? 0);
  });

  test('rows appended and merged through the sink read back equal, each write one commit', async () => {
    const sink = recordSink(table, schema, DIM);
    const first = records(ARROW_BATCH_ROWS + 3);
    const before = await table.version();
    await sink.append(await sink.file(first));
    expect(await table.version()).toBe(before + 1);
    const second = records(ARROW_BATCH_ROWS + 3, 'bravo');
    await sink.mergeById(await sink.file(second));
    expect(await table.version()).toBe(before + 2);
    const read = (await table.query().limit(10_000).toArray()) as Array<Record<string, unknown>>;
    expect(read).toHaveLength(second.length);
    const byId = new Map(read.map((r) => [r['id'], r]));
    for (const r of second) {
      const row = byId.get(r.id) ?? {};
      const { vector, ...rest } = r;
      expect(row).toMatchObject(rest);
      expect(Float32Array.from(row['vector'] as Iterable<number>)).toEqual(vector);
    }
  });
});
