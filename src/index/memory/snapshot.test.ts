import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { crc32 } from 'node:zlib';
import { join } from 'node:path';
import { and, eq, subtree, TRUE, type Expr, type NamespacePolicy } from '../../policy/index.js';
import { fileRecords } from '../../indexing/records.js';
import { VectorArena } from './arena.js';
import { MemoryIndex } from './index.js';
import { restoreSnapshot, SnapshotRefused, writeSnapshot } from './snapshot.js';
import { SnapshotDeadline } from './snapshot-io.js';

const P: NamespacePolicy = { isolate_user_scope_by_agent: false, isolate_agent_scope_by_user: false };
const DIM = 12;
const BUDGET = 128 * 2 ** 20;
const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'kappa', 'omega', 'sigma', 'tau', 'rho', 'zeta'];
const KEY = { key: 'test-embedder/12', version: 7 };

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'snapshot-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A deterministic pseudo-random source (the corpus is the same on every run). */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x7fffffff;
  };
}

/** Writes one file (its chunks) to the index; returns its records' ids. */
function writeFile(index: MemoryIndex, rnd: () => number, account: string, uri: string): string[] {
  const text = Array.from(
    { length: 5 + Math.floor(rnd() * 60) },
    () => WORDS[Math.floor(rnd() * WORDS.length)],
  ).join(' ');
  const records = fileRecords(account, uri, text, P, { created_at: 1, updated_at: 2 });
  const rows = records.map(({ text: _text, ...row }) => row);
  const vectors = records.map(() => Float32Array.from({ length: DIM }, () => rnd() * 2 - 1));
  index.commit(
    index.prepare(
      rows,
      vectors,
      records.map((r) => r.text),
    ),
  );
  return rows.map((r) => r.id);
}

/** A multi-tenant corpus with rewrites and deletes; the same calls on two indexes give the same state. */
function churn(index: MemoryIndex, seed: number, files: number): void {
  const rnd = random(seed);
  const ids: string[] = [];
  for (let i = 0; i < files; i++) {
    const account = `acct${Math.floor(rnd() * 4)}`;
    const uri = `viking://resources/d${Math.floor(rnd() * 6)}/f${Math.floor(rnd() * files * 0.7)}.md`;
    ids.push(...writeFile(index, rnd, account, uri));
    if (rnd() < 0.2 && ids.length > 0)
      index.remove(ids.splice(Math.floor(rnd() * ids.length), 1)[0] as string);
  }
}

const FILTERS: Expr[] = [
  TRUE,
  eq('account_id', 'acct1'),
  and(eq('account_id', 'acct2'), subtree('viking://resources/d3')),
  subtree('viking://resources/d0'),
];

/** What the index answers: vector searches, counts and full-text scores under every filter. */
function answers(index: MemoryIndex): unknown {
  const rnd = random(99);
  return FILTERS.map((filter) => ({
    count: index.count(filter),
    ids: index.matchIds(filter).sort(),
    near: [0, 1, 2].map(() =>
      index
        .search(
          Float32Array.from({ length: DIM }, () => rnd() * 2 - 1),
          filter,
          10,
        )
        .hits.map((h) => [h.row.id, h.row.uri, h.distance]),
    ),
    text: ['alpha gamma', 'omega', 'zeta tau rho'].map((q) =>
      index.fullText(q, filter, 10).map((h) => [h.row.id, h.score]),
    ),
  }));
}

async function built(files = 300): Promise<MemoryIndex> {
  const index = await MemoryIndex.create(DIM, BUDGET, { vectorDir: dir });
  churn(index, 1, files);
  return index;
}

test('a restored index answers as the index it was taken of, before and after more writes', async () => {
  const original = await built();
  const snap = join(dir, 'snap');
  expect(await writeSnapshot(original, snap, KEY)).toBeGreaterThan(0);
  const restored = await restoreSnapshot(snap, KEY, DIM, BUDGET, { vectorDir: dir });
  expect(existsSync(snap)).toBe(false);
  expect(restored.size).toBe(original.size);
  expect(restored.size).toBeGreaterThan(150);
  const before = answers(original);
  expect(JSON.stringify(before)).toContain('viking://resources/');
  expect(answers(restored)).toEqual(before);
  // The restored structures go on working: the same writes on both give the same answers.
  churn(original, 2, 150);
  churn(restored, 2, 150);
  expect(answers(restored)).toEqual(answers(original));
  await Promise.all([original.close(), restored.close()]);
});

test.each([
  ['another table version', (_snap: string) => undefined, { ...KEY, version: 8 }, /version 7, not 8/],
  ['another embedder', (_snap: string) => undefined, { ...KEY, key: 'other/12' }, /embedder/],
  [
    'a corrupted byte',
    (snap: string) => {
      const path = join(snap, 'graph.bin');
      const bytes = readFileSync(path);
      const at = bytes.length >> 1;
      bytes[at] = (bytes[at] ?? 0) ^ 0xff;
      writeFileSync(path, bytes);
    },
    KEY,
    /graph.bin: checksum differs/,
  ],
  [
    'a corrupted byte in an array written apart',
    (snap: string) => {
      const path = join(snap, 'arrays.bin');
      const bytes = readFileSync(path);
      const at = bytes.length - 3;
      bytes[at] = (bytes[at] ?? 0) ^ 0x01;
      writeFileSync(path, bytes);
    },
    KEY,
    /arrays.bin: checksum differs/,
  ],
  [
    'a truncated array section',
    (snap: string) => truncateSync(join(snap, 'arrays.bin'), 1000),
    KEY,
    /arrays.bin: 1000 bytes/,
  ],
  [
    'a truncated vector file',
    (snap: string) => truncateSync(join(snap, 'vectors.f32'), 100),
    KEY,
    /vectors.f32: 100 bytes/,
  ],
  ['no manifest', (snap: string) => rmSync(join(snap, 'manifest.json')), KEY, /no manifest/],
])('a snapshot with %s is refused and deleted', async (_what, spoil, key, reason) => {
  const original = await built(40);
  const snap = join(dir, 'snap');
  await writeSnapshot(original, snap, KEY);
  spoil(snap);
  const restoring = restoreSnapshot(snap, key, DIM, BUDGET, { vectorDir: dir });
  await expect(restoring).rejects.toThrow(SnapshotRefused);
  await expect(restoring).rejects.toThrow(reason);
  expect(existsSync(snap)).toBe(false);
  await original.close();
});

test('a snapshot larger than the budget now is refused and deleted', async () => {
  const original = await built(40);
  const snap = join(dir, 'snap');
  await writeSnapshot(original, snap, KEY);
  const restoring = restoreSnapshot(snap, KEY, DIM, 20_000, { vectorDir: dir });
  await expect(restoring).rejects.toThrow(/budget/);
  expect(existsSync(snap)).toBe(false);
  await original.close();
});

test('a snapshot is taken before it is read: a start killed while restoring leaves no snapshot to retry', async () => {
  const original = await built(40);
  const snap = join(dir, 'snap');
  await writeSnapshot(original, snap, KEY);
  const restoring = restoreSnapshot(snap, KEY, DIM, BUDGET, { vectorDir: dir });
  // Killed here, the next start finds no snapshot, only a temporary that opening the store removes.
  expect(existsSync(snap)).toBe(false);
  const temporaries = readdirSync(dir).filter((name) => name.startsWith('snap.tmp-'));
  expect(temporaries).toHaveLength(1);
  const restored = await restoring;
  expect(restored.size).toBe(original.size);
  expect(readdirSync(dir).filter((name) => name.startsWith('snap'))).toEqual([]);
  await Promise.all([original.close(), restored.close()]);
});

/** Every typed array reachable from `root` through fields, arrays, maps and sets. */
function typedArrays(root: unknown): ArrayBufferView[] {
  const found: ArrayBufferView[] = [];
  const seen = new Set<unknown>();
  const walk = (value: unknown): void => {
    if (value === null || typeof value !== 'object' || seen.has(value)) return;
    seen.add(value);
    if (ArrayBuffer.isView(value)) found.push(value);
    else if (value instanceof Map) {
      for (const [k, v] of value) {
        walk(k);
        walk(v);
      }
    } else if (value instanceof Set || Array.isArray(value)) for (const v of value) walk(v);
    else for (const v of Object.values(value)) walk(v);
  };
  walk(root);
  return found;
}

test('a restore reads the linear memory straight into the arena and every array into one of its own', async () => {
  const original = await built(2000);
  const snap = join(dir, 'snap');
  await writeSnapshot(original, snap, KEY);
  const manifest = JSON.parse(readFileSync(join(snap, 'manifest.json'), 'utf8')) as {
    arrays: unknown[];
    sections: Record<string, { bytes: number }>;
  };
  // The large arrays are apart, raw, and the large lists of strings in pieces; the serialized rest
  // is what is left.
  expect(manifest.arrays.length).toBeGreaterThanOrEqual(2);
  const sections = manifest.sections;
  const restore = VectorArena.restore.bind(VectorArena);
  const filled: Uint8Array[] = [];
  const spied = VectorArena as unknown as { restore: typeof VectorArena.restore };
  spied.restore = (dimension, budget, options, snapshot) =>
    restore(dimension, budget, options, {
      ...snapshot,
      fill: (into) => (filled.push(into), snapshot.fill(into)),
    });
  let restored: MemoryIndex;
  try {
    restored = await restoreSnapshot(snap, KEY, DIM, BUDGET, { vectorDir: dir });
  } finally {
    spied.restore = restore;
  }
  // The bytes of memory.bin went into the arena's (shared) WebAssembly memory, not a buffer first.
  expect(filled).toHaveLength(1);
  expect(filled[0]!.buffer).toBeInstanceOf(SharedArrayBuffer);
  expect(filled[0]!.byteLength).toBe(sections['memory.bin']!.bytes);
  const { parts, arena } = restored.snapshotParts();
  const arrays = typedArrays({ ...parts, ...arena.snapshotFields() });
  const large = arrays.filter((a) => a.byteLength >= 64 * 1024);
  expect(large.length).toBe(manifest.arrays.length);
  // No array is a view into a larger buffer (a section read whole would be one).
  for (const array of arrays) expect(array.buffer.byteLength).toBe(array.byteLength);
  expect(answers(restored)).toEqual(answers(original));
  await Promise.all([original.close(), restored.close()]);
});

/** `run`'s result, and how many times the event loop turned until it was done. */
async function turnsDuring<T>(run: () => Promise<T>): Promise<{ result: T; turns: number }> {
  let turns = 0;
  let running = true;
  const turn = (): void => {
    turns++;
    if (running) setImmediate(turn);
  };
  setImmediate(turn);
  try {
    return { result: await run(), turns };
  } finally {
    running = false;
  }
}

test('the event loop turns while a snapshot is restored', async () => {
  const original = await built(2000);
  const snap = join(dir, 'snap');
  await writeSnapshot(original, snap, KEY);
  const { result: restored, turns: ticks } = await turnsDuring(() =>
    restoreSnapshot(snap, KEY, DIM, BUDGET, { vectorDir: dir }),
  );
  // Every section is read asynchronously: at least a turn per section.
  expect(ticks).toBeGreaterThanOrEqual(4);
  await Promise.all([original.close(), restored.close()]);
});

test('a write copies the live vector file exactly and checksums every section off the main thread', async () => {
  const original = await built(200);
  const { arena } = original.snapshotParts();
  // Linux: the copy is made in the kernel from the unlinked file's /proc path.
  expect(arena.vectorFilePath()).toMatch(/^\/proc\/self\/fd\/\d+$/);
  const live: Uint8Array[] = [];
  arena.readVectorFile(4096, (chunk) => live.push(Uint8Array.from(chunk)));
  const snap = join(dir, 'snap');
  const { turns } = await turnsDuring(() => writeSnapshot(original, snap, KEY));
  // The copy and the checksums are awaited, not run on this thread: the event loop turned meanwhile.
  expect(turns).toBeGreaterThan(0);
  expect(readFileSync(join(snap, 'vectors.f32'))).toEqual(Buffer.concat(live));
  const manifest = JSON.parse(readFileSync(join(snap, 'manifest.json'), 'utf8')) as {
    sections: Record<string, { bytes: number; crc: number }>;
  };
  expect(Object.keys(manifest.sections).sort()).toEqual(
    ['arrays.bin', 'graph.bin', 'lists.bin', 'memory.bin', 'vectors.f32'].sort(),
  );
  for (const [name, sum] of Object.entries(manifest.sections)) {
    const bytes = readFileSync(join(snap, name));
    expect({ name, bytes: bytes.byteLength, crc: crc32(bytes) }).toEqual({ name, ...sum });
  }
  expect(statSync(join(snap, 'vectors.f32')).mode & 0o777).toBe(0o600);
  await original.close();
});

test('a snapshot not written by its deadline is abandoned: nothing is left behind', async () => {
  const original = await built(40);
  const snap = join(dir, 'snap');
  await writeSnapshot(original, snap, KEY);
  await expect(writeSnapshot(original, snap, KEY, Date.now() - 1)).rejects.toThrow(SnapshotDeadline);
  // The half-written one is gone, and the one it was to replace is still whole.
  expect(readdirSync(dir).filter((name) => name.startsWith('snap'))).toEqual(['snap']);
  const restored = await restoreSnapshot(snap, KEY, DIM, BUDGET, { vectorDir: dir });
  expect(restored.size).toBe(original.size);
  await Promise.all([original.close(), restored.close()]);
});

test('an index whose string tables are written apart in pieces restores to the same answers', async () => {
  const original = await built(300);
  // Over 4,096 URIs: the shared strings are written apart.
  const rnd = random(5);
  for (let i = 0; i < 5000; i++) writeFile(original, rnd, `acct${i % 3}`, `viking://resources/many/f${i}.md`);
  const snap = join(dir, 'snap');
  await writeSnapshot(original, snap, KEY);
  const manifest = JSON.parse(readFileSync(join(snap, 'manifest.json'), 'utf8')) as {
    lists: Array<{ kind: string; length: number }>;
  };
  // The shared strings (the URIs among them) are one array; no lookup is a Map to rebuild entry by
  // entry (the shared strings', the terms' and the URI heads' were: steps of 0.1-0.35 s at 1M).
  expect(manifest.lists.length).toBeGreaterThan(0);
  expect(manifest.lists.filter((l) => l.kind !== 'array')).toEqual([]);
  expect(Math.max(...manifest.lists.map((l) => l.length))).toBeGreaterThan(5000);
  const restored = await restoreSnapshot(snap, KEY, DIM, BUDGET, { vectorDir: dir });
  expect(answers(restored)).toEqual(answers(original));
  // A URI's slots are found through its shared id.
  const file = eq('uri', 'viking://resources/many/f17.md');
  expect(restored.matchIds(file).sort()).toEqual(original.matchIds(file).sort());
  expect(restored.matchIds(file).length).toBeGreaterThan(0);
  churn(original, 3, 200);
  churn(restored, 3, 200);
  expect(answers(restored)).toEqual(answers(original));
  await Promise.all([original.close(), restored.close()]);
});
