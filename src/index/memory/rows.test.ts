import { RowStore, type MemoryRow } from './rows.js';
import { SharedStrings } from './shared.js';

const base: MemoryRow = {
  id: 'a'.repeat(32),
  account_id: 'acme',
  uri: 'viking://resources/docs/plan.md',
  scope: 'resources',
  owner_user_id: null,
  owner_agent_id: null,
  context_type: 'resource',
  level: 2,
  chunk_index: 7,
  abstract: 'the quarterly plan',
  session_id: null,
  message_id: null,
  role: null,
  role_id: null,
  created_at: 1_700_000_000_123,
  updated_at: 1_700_000_000_456.5,
};

const cases: Array<[string, Partial<MemoryRow>]> = [
  ['nulls', {}],
  [
    'every field set',
    {
      owner_user_id: 'alice',
      owner_agent_id: 'bot',
      session_id: 's1',
      message_id: 'm-42',
      role: 'user',
      role_id: 'alice',
      scope: 'session',
      context_type: 'session',
    },
  ],
  ['empty strings', { abstract: '', message_id: '', id: '', owner_user_id: '' }],
  ['2-byte and 3-byte characters', { abstract: 'café naïve Ελληνικά 日本語の計画', id: 'idé' }],
  ['astral characters', { abstract: 'plans 🚀 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ✓', message_id: '💬1' }],
  ['a lone surrogate (an abstract cut inside an astral character)', { abstract: 'cut here \ud83d' }],
  ['a lone low surrogate', { message_id: '\ude80 tail' }],
  ['a long abstract', { abstract: 'lorem ipsum '.repeat(2000) }],
  [
    'negative and large numbers',
    { level: -1, chunk_index: 2 ** 31 - 1, created_at: -5, updated_at: 8.64e15 },
  ],
];

describe('RowStore', () => {
  test.each(cases)('a row round-trips every field: %s', (_name, change) => {
    const store = new RowStore(new SharedStrings());
    const row = { ...base, ...change };
    store.put(5, row);
    expect(store.row(5)).toStrictEqual(row);
    expect(store.id(5)).toBe(row.id);
    expect(store.keyIs(5, row.id)).toBe(true);
    expect(store.keyIs(5, `${row.id}x`)).toBe(false);
    expect(store.fields(5)).toEqual({
      account_id: row.account_id,
      uri: row.uri,
      scope: row.scope,
      owner_user_id: row.owner_user_id,
      owner_agent_id: row.owner_agent_id,
      context_type: row.context_type,
      level: row.level,
      chunk_index: row.chunk_index,
      created_at: row.created_at,
      updated_at: row.updated_at,
    });
  });

  test('freed slots are reused and the rows left are intact', () => {
    const store = new RowStore(new SharedStrings());
    const rows = Array.from({ length: 3000 }, (_, i) => ({
      ...base,
      id: `id${i}`,
      uri: `viking://resources/f${i % 50}.md`,
      abstract: `abstract ${i} ${'é'.repeat(i % 300)}`,
      chunk_index: i,
    }));
    rows.forEach((row, i) => store.put(i, row));
    const grown = store.bytes;
    // Free most rows in a scattered order, then fill the slots again with other rows.
    for (let i = 0; i < 3000; i++) if (i % 7 !== 0) store.clear(i);
    for (let i = 0; i < 3000; i += 7) expect(store.row(i)).toStrictEqual(rows[i]);
    for (let i = 0; i < 3000; i++) if (i % 7 !== 0) store.put(i, { ...rows[i]!, abstract: `again ${i}` });
    for (let i = 0; i < 3000; i++)
      expect(store.row(i)).toStrictEqual(i % 7 === 0 ? rows[i] : { ...rows[i], abstract: `again ${i}` });
    // Shorter abstracts in the reused space: nothing grew.
    expect(store.bytes).toBeLessThanOrEqual(grown);
    // Emptied, the store gives its columns and chunks back, and takes rows again.
    for (let i = 0; i < 3000; i++) store.clear(i);
    expect(store.bytes).toBeLessThan(grown / 4);
    store.put(2999, rows[1]!);
    expect(store.row(2999)).toStrictEqual(rows[1]);
  });

  test('text space freed by scattered deletes is given back', () => {
    const store = new RowStore(new SharedStrings());
    const n = 20_000;
    for (let i = 0; i < n; i++) store.put(i, { ...base, id: `id${i}`, abstract: 'x'.repeat(200) });
    const full = store.bytes;
    for (let i = 0; i < n; i++) if (i % 10 !== 0) store.clear(i);
    // 90 % of the rows gone, everywhere: their chunks were emptied by moving the rest together, so
    // most of the text bytes of the rows gone (~240 each) are given back; the columns stay.
    expect(full - store.bytes).toBeGreaterThan(0.8 * 18_000 * 240);
    for (let i = 0; i < n; i += 10) expect(store.row(i).id).toBe(`id${i}`);
  });

  test('a shared value is released with the last row using it', () => {
    const shared = new SharedStrings();
    const store = new RowStore(shared);
    store.put(0, { ...base, account_id: 'acme', owner_user_id: 'alice' });
    store.put(1, { ...base, account_id: 'acme', owner_user_id: 'bob' });
    expect(shared.idOf('alice')).toBeDefined();
    store.clear(0);
    expect(shared.idOf('alice')).toBeUndefined();
    expect(shared.idOf('acme')).toBeDefined();
    store.clear(1);
    expect(shared.idOf('acme')).toBeUndefined();
    expect(shared.size).toBe(0);
    // Clearing an empty slot does nothing.
    store.clear(1);
    expect(shared.size).toBe(0);
  });

  test('ids compare as JS compares strings, astral against U+E000–U+FFFF included', () => {
    const ids = [
      'b',
      'a',
      'ab',
      '',
      'é',
      '\uffff',
      '😀',
      '\ue000',
      'z😀',
      'z\uffff',
      'Z',
      'a\u0000',
      'cut \ud83d',
    ];
    const store = new RowStore(new SharedStrings());
    ids.forEach((id, i) => store.put(i, { ...base, id }));
    for (let a = 0; a < ids.length; a++)
      for (let b = 0; b < ids.length; b++) {
        const x = ids[a]!;
        const y = ids[b]!;
        expect([x, y, Math.sign(store.compareIds(a, b))]).toEqual([x, y, x < y ? -1 : x > y ? 1 : 0]);
      }
  });

  test('a row kept does not hold the text its abstract was sliced from', () => {
    const store = new RowStore(new SharedStrings());
    const text = `${'lorem ipsum '.repeat(100_000)}${Math.random()}`;
    store.put(0, { ...base, abstract: text.slice(0, 256) });
    // Its bytes: its columns and one text chunk, not the 1.2 MB text.
    expect(store.bytes).toBeLessThan(300_000);
    expect(store.row(0).abstract).toBe(text.slice(0, 256));
  });
});
