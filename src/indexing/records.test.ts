import {
  chunkText,
  decodeText,
  fileRecords,
  fileRecordsInSlices,
  messageRecords,
  recordId,
  recordOf,
} from './records.js';
import { COLUMN_NAMES, type NamespacePolicy } from '../policy/index.js';

const policy = (u: boolean, a: boolean): NamespacePolicy => ({
  isolate_user_scope_by_agent: u,
  isolate_agent_scope_by_user: a,
});
const times = { created_at: 1, updated_at: 2 };

describe('owner fields come from the canonical URI and the policy', () => {
  test.each([
    [policy(false, false), 'viking://user/alice/notes/a.md', 'user', 'alice', null, 'resource'],
    [policy(true, false), 'viking://user/alice/agent/bot/memories/a.md', 'user', 'alice', 'bot', 'memory'],
    [policy(false, false), 'viking://agent/bot/skills/s.md', 'agent', null, 'bot', 'skill'],
    [policy(false, true), 'viking://agent/bot/user/alice/skills/s.md', 'agent', 'alice', 'bot', 'skill'],
    [policy(true, true), 'viking://resources/docs/x.md', 'resources', null, null, 'resource'],
    [policy(true, true), 'viking://user/alice/agent/bot/x.md', 'user', 'alice', 'bot', 'resource'],
    [policy(false, false), 'viking://user/alice/agent/x/y.md', 'user', 'alice', null, 'resource'],
  ])('%j %s', (p, uri, scope, user, agent, contextType) => {
    const [record] = fileRecords('acme', uri, 'hello world', p, times);
    expect(record).toMatchObject({
      account_id: 'acme',
      uri,
      scope,
      owner_user_id: user,
      owner_agent_id: agent,
      context_type: contextType,
      level: 2,
      chunk_index: 0,
      text: 'hello world',
      abstract: 'hello world',
      session_id: null,
      role: null,
    });
  });

  test('a wrong-shape URI for the policy is refused', () => {
    expect(() =>
      fileRecords('acme', 'viking://user/alice/notes.md', 'x', policy(true, false), times),
    ).toThrow();
  });

  test('folder abstract and overview become level 0 and 1 records of the folder', () => {
    const [abs] = fileRecords(
      'acme',
      'viking://resources/docs/.abstract.md',
      'About docs',
      policy(false, false),
      times,
    );
    const [ovw] = fileRecords(
      'acme',
      'viking://resources/docs/.overview.md',
      'Overview',
      policy(false, false),
      times,
    );
    expect(abs).toMatchObject({ uri: 'viking://resources/docs', level: 0, chunk_index: 0 });
    expect(ovw).toMatchObject({ uri: 'viking://resources/docs', level: 1 });
    expect(abs?.id).not.toBe(ovw?.id);
  });

  test('the root folder abstract belongs to viking://', () => {
    const [root] = fileRecords('acme', 'viking://.abstract.md', 'Everything', policy(false, false), times);
    expect(root).toMatchObject({ uri: 'viking://', level: 0, scope: '', owner_user_id: null });
  });

  test('a session message is one level 2 record with its session fields', () => {
    const msg = { role: 'user', role_id: 'alice', text: 'hi there', created_at: '2026-01-01T00:00:00Z' };
    const [r] = messageRecords('acme', 's1', 'msg_1', msg, policy(true, true));
    expect(r).toMatchObject({
      uri: 'viking://session/s1/messages/msg_1',
      scope: 'session',
      context_type: 'session',
      owner_user_id: null,
      owner_agent_id: null,
      level: 2,
      chunk_index: 0,
      session_id: 's1',
      message_id: 'msg_1',
      role: 'user',
      role_id: 'alice',
      created_at: Date.parse('2026-01-01T00:00:00Z'),
    });
  });
});

describe('every draft has the columns, in one order, and nothing else', () => {
  const DRAFT_COLUMNS = COLUMN_NAMES.filter((name) => name !== 'vector');

  test('a file read from storage gives its times, not the rest of what the read returned', async () => {
    // What IndexSync passes as the times: the read file itself, bytes included.
    const file = { bytes: Buffer.from('alpha beta '.repeat(300)), created_at: 5, updated_at: 6 };
    const text = file.bytes.toString('utf8');
    const drafts = await fileRecordsInSlices(
      'acme',
      'viking://resources/a.md',
      text,
      policy(false, false),
      file,
      {
        size: 200,
        overlap: 20,
      },
    );
    expect(drafts.length).toBeGreaterThan(5);
    for (const d of drafts) {
      expect(Object.keys(d).sort()).toEqual([...DRAFT_COLUMNS].sort());
      expect(d).toMatchObject({ created_at: 5, updated_at: 6 });
    }
    // One order of keys for every draft (one shape: objects built alike).
    expect(new Set(drafts.map((d) => Object.keys(d).join()))).toEqual(
      new Set([Object.keys(drafts[0]!).join()]),
    );
  });

  test('a record is its draft and its vector, in one order of keys', () => {
    const [d] = fileRecords('acme', 'viking://resources/a.md', 'hello', policy(true, true), times);
    const vector = new Float32Array([0.6, 0.8]);
    const r = recordOf(d!, vector);
    expect(r).toEqual({ ...d!, vector });
    expect(Object.keys(r)).toEqual([...Object.keys(d!), 'vector']);
    expect(Object.keys(r).sort()).toEqual([...COLUMN_NAMES].sort());
  });

  test('a message draft has the same keys in the same order as a file draft', () => {
    const msg = { role: 'user', role_id: 'alice', text: 'hi there', created_at: 7 };
    const [m] = messageRecords('acme', 's1', 'msg_1', msg, policy(true, true));
    const [f] = fileRecords('acme', 'viking://resources/a.md', 'hello', policy(true, true), times);
    expect(Object.keys(m!)).toEqual(Object.keys(f!));
    expect(Object.keys(m!).sort()).toEqual([...DRAFT_COLUMNS].sort());
  });
});

describe('chunking', () => {
  test('short text is one chunk, blank text none', () => {
    expect(chunkText('a b c')).toEqual(['a b c']);
    expect(chunkText('  \n ')).toEqual([]);
  });

  test('long text is cut into overlapping passages on whitespace that cover every word', () => {
    const words = Array.from({ length: 900 }, (_, i) => `w${i}`);
    const chunks = chunkText(words.join(' '), { size: 1000, overlap: 200 });
    expect(chunks.length).toBeGreaterThan(4);
    for (const c of chunks) expect(c.length).toBeLessThanOrEqual(1000);
    for (const c of chunks.slice(1)) expect(c).toMatch(/^w\d+/);
    const seen = new Set(chunks.flatMap((c) => c.trim().split(/\s+/)));
    expect(words.every((w) => seen.has(w))).toBe(true);
    const [first, second] = chunks;
    const tail = (first ?? '').trim().split(' ').slice(-5);
    expect(tail.every((w) => (second ?? '').includes(w))).toBe(true);
  });

  test('text without whitespace is still cut and terminates', () => {
    const chunks = chunkText('x'.repeat(5000), { size: 1000, overlap: 200 });
    // Starts at 0, 800, ..., 4000: the last one reaches the end.
    expect(chunks.length).toBe(6);
    expect(chunks.at(-1)?.length).toBe(1000);
  });

  test('chunks get consecutive indexes and distinct stable ids', () => {
    const text = 'word '.repeat(1000);
    const records = fileRecords('acme', 'viking://resources/a.md', text, policy(false, false), times);
    expect(records.map((r) => r.chunk_index)).toEqual(records.map((_, i) => i));
    expect(new Set(records.map((r) => r.id)).size).toBe(records.length);
    expect(records[0]?.id).toBe(recordId('acme', 'viking://resources/a.md', 2, 0));
    expect(recordId('acme', 'viking://resources/a.md', 2, 0)).not.toBe(
      recordId('other', 'viking://resources/a.md', 2, 0),
    );
  });
});

describe('decodeText', () => {
  test.each([
    [Buffer.from('héllo'), 'héllo'],
    [Buffer.from([0x68, 0x00, 0x69]), null],
    [Buffer.from([0xff, 0xfe, 0x41]), null],
    [Buffer.from(''), ''],
  ])('%j', (bytes, expected) => {
    expect(decodeText(bytes)).toBe(expected);
  });
});

describe('fileRecordsInSlices', () => {
  test('makes the records fileRecords makes, letting other work run between its slices', async () => {
    const text = Array.from({ length: 40 }, (_, i) => `paragraph ${i} `.repeat(20)).join('\n');
    const chunking = { size: 200, overlap: 20 };
    const P = policy(false, false);
    const whole = fileRecords('acme', 'viking://resources/a.md', text, P, times, chunking);
    let turns = 0;
    const drafts = await fileRecordsInSlices('acme', 'viking://resources/a.md', text, P, times, chunking, {
      sliceMs: 0,
      pause: () => Promise.resolve((turns += 1)),
    });
    expect(whole.length).toBeGreaterThan(10);
    expect(drafts).toEqual(whole);
    expect(turns).toBe(whole.length - 1);
  });
});
