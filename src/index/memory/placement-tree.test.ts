import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { fileRecords } from '../../indexing/records.js';
import { eq, TRUE, type NamespacePolicy } from '../../policy/index.js';
import { MemoryIndex } from './index.js';
import { Placement } from './placement.js';
import { PackedTreeError, unpackTree, type TreeSink } from './placement-tree.js';
import { restoreSnapshot, SnapshotRefused, writeSnapshot } from './snapshot.js';

const P: NamespacePolicy = { isolate_user_scope_by_agent: false, isolate_agent_scope_by_user: false };
const DIM = 8;
const BUDGET = 64 * 2 ** 20;
const KEY = { key: 'test-embedder/8', version: 3 };

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'placement-tree-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/**
 * An index of `files` files spread over accounts, scopes and folders (many parts, groups and
 * buckets; some parts past 16 slots, some accounts past 8 buckets), a few removed.
 */
async function built(files: number): Promise<MemoryIndex> {
  const index = await MemoryIndex.create(DIM, BUDGET, { vectorDir: dir });
  const ids: string[] = [];
  for (let i = 0; i < files; i++) {
    const account = `acct${i % 3}`;
    const uri =
      i % 4 === 0
        ? `viking://user/u${i % 5}/memories/m${i % 7}/f${i}.md`
        : `viking://resources/r${i % 13}/d${i % 29}/f${i}.md`;
    const records = fileRecords(account, uri, `alpha beta file ${i}`, P, { created_at: 1, updated_at: 2 });
    const rows = records.map(({ text: _text, ...row }) => row);
    const vectors = records.map((_, j) =>
      Float32Array.from({ length: DIM }, (_v, d) => ((i + j + d) % 5) - 2),
    );
    index.commit(
      index.prepare(
        rows,
        vectors,
        records.map((r) => r.text),
      ),
    );
    ids.push(...rows.map((r) => r.id));
  }
  for (let i = 0; i < ids.length; i += 17) index.remove(ids[i] as string);
  return index;
}

const placementOf = (index: MemoryIndex): Placement => index.snapshotParts().parts.placement;

/** A placement revived from its snapshot fields (what a restore does, without the bytes in between). */
async function revived(placement: Placement, perTurn: number): Promise<{ copy: Placement; turns: number }> {
  const copy = Object.assign(Object.create(Placement.prototype) as Placement, placement.snapshotFields());
  let turns = 0;
  await copy.restored(() => {
    turns++;
    return new Promise((resolve) => setImmediate(resolve));
  }, perTurn);
  return { copy, turns };
}

test('the placement tree is written as one Int32Array and the lookups by slot as their length', async () => {
  const index = await built(400);
  const placement = placementOf(index);
  const fields = placement.snapshotFields();
  expect(fields['accounts']).toBeInstanceOf(Int32Array);
  expect(typeof fields['partOf']).toBe('number');
  expect([fields['bucketOf'], fields['groupOf']]).toEqual([null, null]);
  // Its own fields are untouched.
  expect(placement.accounts).toBeInstanceOf(Map);
  await index.close();
});

test('the tree is rebuilt a piece per turn, the same nodes, slots and lookups as before', async () => {
  const index = await built(1200);
  const placement = placementOf(index);
  const { copy, turns } = await revived(placement, 64);
  const packed = placement.snapshotFields()['accounts'] as Int32Array;
  // A turn per 64 entries read (a part's slots whole): the tree is not rebuilt in one step.
  expect(turns).toBeGreaterThanOrEqual(Math.floor(packed.length / 128));
  expect(turns).toBeGreaterThan(10);
  expect(copy.accounts).toEqual(placement.accounts);
  const internals = (p: Placement) => p as unknown as Record<string, unknown[]>;
  for (const field of ['partOf', 'groupOf', 'bucketOf']) {
    expect(internals(copy)[field]).toEqual(internals(placement)[field]);
  }
  // A slot's nodes are the tree's own objects, not copies.
  const [bucket] = copy.accounts.get('acct1') as readonly unknown[];
  expect(internals(copy)['bucketOf']).toContain(bucket);
  expect(copy.snapshotFields()).toEqual(placement.snapshotFields());
  await index.close();
});

test('a restored index with many parts answers as the original and counts the same bytes', async () => {
  const original = await built(1200);
  const snap = join(dir, 'snap');
  await writeSnapshot(original, snap, KEY);
  const restored = await restoreSnapshot(snap, KEY, DIM, BUDGET, { vectorDir: dir });
  expect(restored.size).toBe(original.size);
  expect(restored.matchIds(TRUE).sort()).toEqual(original.matchIds(TRUE).sort());
  expect(restored.bytes).toBe(original.bytes);
  await Promise.all([original.close(), restored.close()]);
});

test('compacting the tree rebuilds its nodes in pieces: the same answers, bytes and snapshot', async () => {
  const index = await built(1200);
  const placement = placementOf(index);
  // Matched first: the matcher's buffer grows to its size, and is counted.
  const ids = index.matchIds(TRUE).sort();
  const some = index.matchIds(eq('account_id', 'acct1')).sort();
  const before = { fields: placement.snapshotFields(), bytes: index.bytes, ids, some };
  const oldBucket = (placement.accounts.get('acct1') as readonly unknown[])[0];
  let turns = 0;
  await placement.compact(() => {
    turns++;
    return new Promise((resolve) => setImmediate(resolve));
  }, 64);
  expect(turns).toBeGreaterThan(10);
  // New node objects, the same tree: what a snapshot writes, what filters match, what is counted.
  const newBucket = (placement.accounts.get('acct1') as readonly unknown[])[0];
  expect(newBucket).not.toBe(oldBucket);
  expect(newBucket).toEqual(oldBucket);
  expect(placement.snapshotFields()).toEqual(before.fields);
  expect(index.bytes).toBe(before.bytes);
  expect(index.matchIds(TRUE).sort()).toEqual(before.ids);
  expect(index.matchIds(eq('account_id', 'acct1')).sort()).toEqual(before.some);
  // A slot's nodes are the new tree's: a removal after the compaction leaves no stale node behind.
  const [gone] = before.some;
  index.remove(gone as string);
  expect(index.matchIds(TRUE)).not.toContain(gone);
  expect(index.size).toBe(before.ids.length - 1);
  await index.close();
});

test('the tree is not compacted while a commit in slices runs', async () => {
  const index = await built(40);
  const placement = placementOf(index);
  placement.begin();
  await expect(placement.compact(() => Promise.resolve())).rejects.toThrow(/during a commit/);
  await index.close();
});

/** A sink over a real placement's strings and rows, recording where slots went. */
function sinkOf(placement: Placement): TreeSink & { placed: number[] } {
  const shared = (placement as unknown as { shared: { value(id: number): string } }).shared;
  const placed: number[] = [];
  return {
    placed,
    string: (id) => shared.value(id),
    fields: (slot) => placement.fields(slot),
    place: (slot) => void placed.push(slot),
    account: () => undefined,
  };
}

test.each([
  ['cut short', (t: Int32Array) => t.slice(0, t.length - 1), /cut short|holds|count/],
  ['one entry too many', (t: Int32Array) => Int32Array.from([...t, 0]), /past the tree/],
  ['a count out of range', (t: Int32Array) => Int32Array.from([1_000_000, ...t.subarray(1)]), /count/],
  [
    'a children form that is neither',
    (t: Int32Array) => Int32Array.from([t[0]!, t[1]!, 7, ...t.subarray(3)]),
    /form/,
  ],
])('a packed tree %s is refused', async (_what, spoil, reason) => {
  const index = await built(60);
  const placement = placementOf(index);
  const packed = placement.snapshotFields()['accounts'] as Int32Array;
  const turn = () => Promise.resolve();
  // The tree as written reads back whole.
  const sink = sinkOf(placement);
  await unpackTree(packed, 64, turn, sink);
  expect(sink.placed.length).toBe(index.size);
  const reading = unpackTree(spoil(packed), 64, turn, sinkOf(placement));
  await expect(reading).rejects.toThrow(PackedTreeError);
  await expect(reading).rejects.toThrow(reason);
  await index.close();
});

test('a snapshot whose placement tree is malformed (checksums right) is refused and deleted', async () => {
  const original = await built(200);
  // The method itself, to call from the mock (jest.spyOn replaces it on the prototype).
  const write = Object.getOwnPropertyDescriptor(Placement.prototype, 'snapshotFields')?.value as (
    this: Placement,
  ) => Record<string, unknown>;
  // The tree as a bug or a forged file would have it: an entry past its end.
  const spy = jest.spyOn(Placement.prototype, 'snapshotFields').mockImplementation(function (
    this: Placement,
  ) {
    const fields = write.call(this);
    return { ...fields, accounts: Int32Array.from([...(fields['accounts'] as Int32Array), 0]) };
  });
  const snap = join(dir, 'snap');
  await writeSnapshot(original, snap, KEY);
  spy.mockRestore();
  const restoring = restoreSnapshot(snap, KEY, DIM, BUDGET, { vectorDir: dir });
  await expect(restoring).rejects.toThrow(SnapshotRefused);
  await expect(restoring).rejects.toThrow(/placement tree/);
  expect(existsSync(snap)).toBe(false);
  await original.close();
});
