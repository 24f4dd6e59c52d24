import { COLUMN_NAMES, type IndexRecord } from '../policy/index.js';
import { ARROW_BATCH_ROWS, recordSchema, toArrowTable, toArrowTableInTurns } from './arrow.js';

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

test('many records become one table of several record batches, built across turns of the event loop', async () => {
  // Issue 23 item 5: a 9.5 MiB file's ~12.5k records were converted in one block of the event loop.
  const n = 2 * ARROW_BATCH_ROWS + 5;
  const records = Array.from({ length: n }, (_, i) => ({ ...record, id: `r${i}`, chunk_index: i }));
  let ticks = 0;
  let ticking = true;
  const tick = () => {
    ticks += 1;
    if (ticking) setImmediate(tick);
  };
  const seen: number[] = [];
  const each = (r: IndexRecord): IndexRecord => {
    seen.push(ticks);
    return { ...r, text: r.text.toUpperCase() };
  };
  setImmediate(tick);
  const schema = recordSchema('hash-384', 4);
  const table = await toArrowTableInTurns(schema, records, 4, () => new Promise(setImmediate), each).finally(
    () => (ticking = false),
  );
  expect(table.batches.map((b) => b.numRows)).toEqual([ARROW_BATCH_ROWS, ARROW_BATCH_ROWS, 5]);
  expect(table.numRows).toBe(n);
  expect(table.get(n - 1)?.toJSON()).toMatchObject({ id: `r${n - 1}`, chunk_index: n - 1, text: 'HÉLLO' });
  // The event loop turned between the batches: the first and last records were mapped on different turns.
  const batchTicks = [0, ARROW_BATCH_ROWS, 2 * ARROW_BATCH_ROWS].map((i) => seen[i] ?? -1);
  expect(batchTicks[1]).toBeGreaterThan(batchTicks[0] ?? 0);
  expect(batchTicks[2]).toBeGreaterThan(batchTicks[1] ?? 0);
});
