import { COLUMN_NAMES, type IndexRecord } from '../policy/index.js';
import { ARROW_BATCH_ROWS, recordBatches, recordSchema, releaseBatch, toArrowTable } from './arrow.js';

test('the records schema derived from the column table is the one existing tables were created with', () => {
  // Written out on purpose: a data dir created before the column table must open without a reindex.
  const schema = recordSchema('hash-384', 4);
  expect(schema.fields.map((f) => `${f.name}:${String(f.type)}${f.nullable ? '?' : ''}`)).toEqual([
    'id:Utf8',
    'account_id:Utf8',
    'uri:Utf8',
    'scope:Utf8',
    'owner_user_id:Utf8?',
    'owner_agent_id:Utf8?',
    'context_type:Utf8',
    'text:Utf8',
    'abstract:Utf8',
    'session_id:Utf8?',
    'message_id:Utf8?',
    'role:Utf8?',
    'role_id:Utf8?',
    'level:Int32',
    'chunk_index:Int32',
    'created_at:Float64',
    'updated_at:Float64',
    'vector:FixedSizeList[4]<Float32>',
  ]);
  expect(Object.fromEntries(schema.metadata)).toEqual({
    'vikingscope.embedder_id': 'hash-384',
    'vikingscope.embedder_dimension': '4',
  });
});

const record: IndexRecord = {
  id: 'r1',
  account_id: 'acme',
  uri: 'viking://session/s1/messages/m1',
  scope: 'session',
  owner_user_id: null,
  owner_agent_id: null,
  context_type: 'session',
  text: 'héllo',
  abstract: 'héllo',
  session_id: 's1',
  message_id: 'm1',
  role: 'user',
  role_id: null,
  level: 2,
  chunk_index: 0,
  created_at: 1.5,
  updated_at: 2,
  vector: Float32Array.from([1, 0, 0, 0]),
};

test('a record batch holds every column of every record, nulls included', () => {
  const table = toArrowTable(recordSchema('hash-384', 4), [record, { ...record, id: 'r2', level: 1 }], 4);
  const row = table.get(0)?.toJSON() ?? {};
  for (const name of COLUMN_NAMES) {
    if (name === 'vector') expect([...(row[name] as Iterable<number>)]).toEqual([1, 0, 0, 0]);
    else expect(row[name]).toEqual(record[name]);
  }
  expect(table.get(1)?.toJSON()['level']).toBe(1);
});

test('many records become record batches of ARROW_BATCH_ROWS, each built only when asked for', () => {
  // Issue 23 item 5: a 9.5 MiB file's ~12.5k records were converted in one block of the event loop.
  const n = 2 * ARROW_BATCH_ROWS + 5;
  const records = Array.from({ length: n }, (_, i) => ({ ...record, id: `r${i}`, chunk_index: i }));
  let mapped = 0;
  const each = (r: IndexRecord): IndexRecord => {
    mapped += 1;
    return { ...r, text: r.text.toUpperCase() };
  };
  const batches = recordBatches(recordSchema('hash-384', 4), records, 4, each);
  expect(mapped).toBe(0);
  const first = batches.next();
  expect(mapped).toBe(ARROW_BATCH_ROWS);
  const rest = [...batches];
  expect([first.value, ...rest].map((b: { numRows: number }) => b.numRows)).toEqual([
    ARROW_BATCH_ROWS,
    ARROW_BATCH_ROWS,
    5,
  ]);
  expect(rest[1]?.get(4)?.toJSON()).toMatchObject({ id: `r${n - 1}`, chunk_index: n - 1, text: 'HÉLLO' });
});

test("a written batch's memory is freed at once; the records it came from are untouched", async () => {
  const settle = () => new Promise((resolve) => setTimeout(resolve, 50));
  // Large texts and vectors, so that the columns own their buffers (small ones share Node's pool).
  const dimension = 1024;
  const records = Array.from({ length: ARROW_BATCH_ROWS }, (_, i) => ({
    ...record,
    id: `r${i}`,
    text: 'x'.repeat(2048),
    vector: new Float32Array(dimension).fill(i),
  }));
  const [batch] = [...recordBatches(recordSchema('hash-384', dimension), records, dimension)];
  if (batch === undefined) throw new Error('no batch');
  await settle();
  const before = process.memoryUsage().arrayBuffers;
  releaseBatch(batch);
  await settle();
  // The vectors' column alone is 1 MiB; the texts' half a MiB.
  expect(before - process.memoryUsage().arrayBuffers).toBeGreaterThan(1.5 * 2 ** 20);
  expect(records[7]?.vector[3]).toBe(7);
  expect(records[7]?.text).toHaveLength(2048);
});
