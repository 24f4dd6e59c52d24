/**
 * A restarted store answers from memory without rebuilding its mirror (issue 22): close writes a
 * snapshot of the ready mirror, the next open restores it (the table's rows are not read) and
 * consumes it; a snapshot of another table version, or spoiled, is refused and deleted, and the
 * store loads the table as without one — the same answers either way.
 */
import { jest } from '@jest/globals';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryIndex } from '../../src/index/memory/index.js';
import { Mirror } from '../../src/index/mirror.js';
import { fileRecords, type IndexRecord } from '../../src/indexing/records.js';
import { IndexStore } from '../../src/index/store.js';
import { and, eq, subtree, TRUE, type Expr, type NamespacePolicy } from '../../src/policy/index.js';
import { HashEmbedder } from '../helpers/test-embedder.js';
import { tempDir } from '../helpers/temp-dir.js';

const P: NamespacePolicy = { isolate_user_scope_by_agent: false, isolate_agent_scope_by_user: false };
const embedder = new HashEmbedder();
const BUDGET = 64 * 2 ** 20;
const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel'];
const FILTERS: Expr[] = [
  TRUE,
  eq('account_id', 'acct1'),
  and(eq('account_id', 'acct0'), subtree('viking://resources/d1')),
];

function file(account: string, uri: string, text: string): IndexRecord[] {
  return fileRecords(account, uri, text, P, { created_at: 1000, updated_at: 2000 }).map((d) => ({
    ...d,
    vector: embedder.vector(d.text),
  }));
}

/** A few tenants' files, then rewrites and deletes (deterministic). */
async function populate(store: IndexStore): Promise<void> {
  let s = 7;
  const word = () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return WORDS[s % WORDS.length] as string;
  };
  const text = () => Array.from({ length: 12 }, word).join(' ');
  for (let i = 0; i < 60; i++) {
    await store.upsert(file(`acct${i % 3}`, `viking://resources/d${i % 4}/f${i}.md`, text()));
  }
  for (let i = 0; i < 10; i++) {
    await store.upsert(file(`acct${i % 3}`, `viking://resources/d${i % 4}/f${i}.md`, text()));
  }
  await store.deleteWhere(and(eq('account_id', 'acct2'), subtree('viking://resources/d2')));
}

/**
 * Hits as `[score, ids]` groups of equal scores (rounded), so that two exact plans breaking ties
 * differently compare equal; the last group, which k may cut, by its score alone.
 */
function canonical(hits: ReadonlyArray<{ id: string; score: number }>): unknown[] {
  const groups: Array<[string, string[]]> = [];
  for (const { id, score } of hits) {
    const key = Math.abs(score) < 5e-5 ? '0.0000' : score.toFixed(4);
    const last = groups.at(-1);
    if (last?.[0] === key) last[1].push(id);
    else groups.push([key, [id]]);
  }
  return groups.map(([key, ids], i) => (i === groups.length - 1 ? [key] : [key, ids.sort()]));
}

/** What the store answers: vector and full-text searches and counts under each filter. */
async function answers(store: IndexStore, plan: 'auto' | 'baseline' = 'auto') {
  const out: unknown[] = [];
  for (const filter of FILTERS) {
    const near = await store.vectorSearch(embedder.vector('alpha delta golf'), filter, 10, plan);
    if (plan === 'auto') expect(near.plan).toMatchObject({ name: 'memory' });
    out.push({
      count: await store.countRows(filter),
      near: canonical(near.rows.map((r) => ({ id: r.id, score: r._distance ?? -1 }))),
      text: canonical(
        (await store.fullTextSearch('bravo hotel', filter, 10)).map((r) => ({
          id: r.id,
          score: r._score ?? -1,
        })),
      ),
    });
  }
  return out;
}

describe('the mirror snapshot', () => {
  let dir: ReturnType<typeof tempDir>;
  let snapshotDir: string;
  const open = async (budget = BUDGET) => {
    const store = await IndexStore.open({ uri: dir.path, embedder, memoryBudgetBytes: budget, snapshotDir });
    await store.whenLoaded();
    return store;
  };

  beforeEach(() => {
    dir = tempDir();
    snapshotDir = join(dir.path, 'cache', 'mirror-snapshot');
  });
  afterEach(() => {
    jest.restoreAllMocks();
    dir.remove();
  });

  test('a mirror loaded from the table has its tree rebuilt in walk order before it answers', async () => {
    const first = await open();
    await populate(first);
    const before = await answers(first);
    await first.close();
    rmSync(snapshotDir, { recursive: true, force: true });
    const compact = jest.spyOn(MemoryIndex.prototype, 'compactTree');
    const ready = jest.spyOn(Mirror.prototype, 'markReady');
    const second = await open();
    expect(second.memoryStatus()).toMatchObject({ state: 'ready', loaded_from: 'table' });
    expect(compact).toHaveBeenCalledTimes(1);
    expect(compact.mock.invocationCallOrder[0]).toBeLessThan(ready.mock.invocationCallOrder[0] as number);
    expect(await answers(second)).toEqual(before);
    await second.close();
    // A restored mirror's tree is built in walk order already.
    compact.mockClear();
    const third = await open();
    expect(third.memoryStatus()).toMatchObject({ state: 'ready', loaded_from: 'snapshot' });
    expect(compact).not.toHaveBeenCalled();
    await third.close();
  });

  test('is written at close and restored at open, without reading the table, then consumed', async () => {
    const first = await open();
    await populate(first);
    const before = await answers(first);
    await first.close();
    expect(existsSync(join(snapshotDir, 'manifest.json'))).toBe(true);

    // What a write killed half-way left behind is removed at open.
    const leftover = `${snapshotDir}.tmp-999999`;
    mkdirSync(leftover);
    writeFileSync(join(leftover, 'graph.bin'), 'partial');
    const load = jest.spyOn(Mirror.prototype, 'load');
    const second = await open();
    expect(existsSync(leftover)).toBe(false);
    expect(load).not.toHaveBeenCalled();
    expect(second.memoryStatus()).toMatchObject({ state: 'ready', loaded_from: 'snapshot' });
    expect(existsSync(snapshotDir)).toBe(false);
    expect(await answers(second)).toEqual(before);
    // It takes writes like a loaded mirror, and agrees with the table.
    await second.upsert(file('acct1', 'viking://resources/new.md', 'alpha delta golf'));
    expect(await answers(second)).toEqual(await answers(second, 'baseline'));
    await second.close();
  });

  test.each([
    [
      'of another table version',
      async () => {
        // A run without the mirror (no snapshot written) moves the table on.
        const other = await IndexStore.open({ uri: dir.path, embedder, memoryBudgetBytes: 0 });
        await other.upsert(file('acct1', 'viking://resources/later.md', 'alpha delta golf later'));
        await other.close();
      },
    ],
    [
      'with a corrupted byte',
      () => {
        const path = join(snapshotDir, 'memory.bin');
        const bytes = readFileSync(path);
        const at = bytes.length >> 1;
        bytes[at] = (bytes[at] ?? 0) ^ 0x01;
        writeFileSync(path, bytes);
        return Promise.resolve();
      },
    ],
    [
      'truncated',
      () => {
        const path = join(snapshotDir, 'graph.bin');
        writeFileSync(path, readFileSync(path).subarray(0, 100));
        return Promise.resolve();
      },
    ],
  ])('%s is refused and deleted; the store loads the table and answers correctly', async (_what, spoil) => {
    const first = await open();
    await populate(first);
    await first.close();
    expect(existsSync(snapshotDir)).toBe(true);
    await spoil();

    const load = jest.spyOn(Mirror.prototype, 'load');
    const second = await open();
    expect(load).toHaveBeenCalledTimes(1);
    expect(second.memoryStatus()).toMatchObject({ state: 'ready', loaded_from: 'table' });
    expect(existsSync(snapshotDir)).toBe(false);
    expect(await answers(second)).toEqual(await answers(second, 'baseline'));
    await second.close();
  });

  test('a close whose deadline has passed writes no snapshot (nor a partial one); the next open loads the table', async () => {
    const first = await open();
    await populate(first);
    const before = await answers(first);
    await first.close(Date.now() - 1);
    expect(existsSync(snapshotDir)).toBe(false);
    expect(readdirSync(join(dir.path, 'cache')).filter((name) => name.startsWith('mirror-snapshot'))).toEqual(
      [],
    );
    const second = await open();
    expect(second.memoryStatus()).toMatchObject({ state: 'ready', loaded_from: 'table' });
    expect(await answers(second)).toEqual(before);
    await second.close();
  });
});
