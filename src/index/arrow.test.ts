import { COLUMN_NAMES, type IndexRecord } from '../policy/index.js';
import { recordSchema, toArrowTable } from './arrow.js';

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

test('a record batch holds every column of every record, nulls included', () => {
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
  const table = toArrowTable(recordSchema('hash-384', 4), [record, { ...record, id: 'r2', level: 1 }], 4);
  const row = table.get(0)?.toJSON() ?? {};
  for (const name of COLUMN_NAMES) {
    if (name === 'vector') expect([...(row[name] as Iterable<number>)]).toEqual([1, 0, 0, 0]);
    else expect(row[name]).toEqual(record[name]);
  }
  expect(table.get(1)?.toJSON()['level']).toBe(1);
});
