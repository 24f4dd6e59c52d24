/**
 * The in-memory index's bookkeeping and memory, in one process (no server, no LanceDB):
 *  - large file: a 10 MiB file cut as the indexer cuts it (13,135 chunks), inserted, rewritten
 *    (same ids) and deleted — each one synchronous call, so its time is event-loop time;
 *  - many tenants: N one-record accounts (default 8,000, 384 dimensions), the index's counted bytes
 *    per record, and the JS heap + RSS growth; then all deleted and N others created (the arena
 *    should not grow).
 * Run with a collectable heap for honest figures:
 *
 *   node --expose-gc --import ./test/helpers/ts-register.mjs scripts/bench-memory.ts [accounts]
 */
import { DEFAULT_POLICY } from '../src/policy/index.js';
import { MemoryIndex, type MemoryRow } from '../src/index/memory/index.js';
import { fileRecords } from '../src/indexing/records.js';
import { DIMENSION, MIB, settle, times, vector } from './lib/memory-probe.js';

async function largeFile(): Promise<Record<string, number>> {
  const words = Array.from({ length: 5000 }, (_, i) => `word${i.toString(36)}`);
  let text = '';
  for (let i = 0; text.length < 10 * MIB; i++) text += `${words[(i * 7919) % words.length]} `;
  const drafts = fileRecords('acme', 'viking://resources/big.md', text, DEFAULT_POLICY, times);
  const rows: MemoryRow[] = drafts.map(({ text: _t, ...row }) => row);
  const vectors = rows.map((_, i) => vector(i));
  const texts = drafts.map((d) => d.text);
  const index = await MemoryIndex.create(DIMENSION, 2048 * MIB);
  const t0 = performance.now();
  index.commit(index.prepare(rows, vectors, texts));
  const t1 = performance.now();
  index.commit(index.prepare(rows, vectors, texts));
  const t2 = performance.now();
  for (const row of rows) index.remove(row.id);
  const t3 = performance.now();
  await index.close();
  return { chunks: rows.length, insert_ms: t1 - t0, rewrite_ms: t2 - t1, delete_ms: t3 - t2 };
}

function tenantRow(prefix: string, i: number): { row: MemoryRow; text: string } {
  const text = `notes of tenant ${prefix}${i}: the quarterly plan, owners and open questions`;
  const [{ text: body, ...row }] = fileRecords(
    `${prefix}${i}`,
    'viking://resources/notes.md',
    text,
    DEFAULT_POLICY,
    times,
  ) as [ReturnType<typeof fileRecords>[0]];
  return { row, text: body };
}

async function manyTenants(accounts: number): Promise<Record<string, number>> {
  const index = await MemoryIndex.create(DIMENSION, 3072 * MIB);
  const linear = (): number => (index as { linearBytes?: number }).linearBytes ?? 0;
  const before = settle();
  const ids: string[] = [];
  for (let i = 0; i < accounts; i++) {
    const { row, text } = tenantRow('tenant', i);
    index.put(row, vector(i), text);
    ids.push(row.id);
  }
  const after = settle();
  const counted = index.bytes;
  const arena = linear();
  for (const id of ids) index.remove(id);
  for (let i = 0; i < accounts; i++) {
    const { row, text } = tenantRow('later', i);
    index.put(row, vector(i), text);
  }
  const again = settle();
  const result = {
    accounts,
    counted_bytes_per_record: counted / accounts,
    linear_mib: arena / MIB,
    heap_growth_mib: (after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers) / MIB,
    rss_growth_mib: (after.rss - before.rss) / MIB,
    rss_per_record_bytes: (after.rss - before.rss) / accounts,
    counted_after_delete_and_recreate_mib: index.bytes / MIB,
    rss_growth_after_recreate_mib: (again.rss - before.rss) / MIB,
  };
  await index.close();
  return result;
}

async function main(): Promise<void> {
  const accounts = Number(process.argv[2] ?? 8000);
  const round = (o: Record<string, number>) =>
    Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Math.round(v * 10) / 10]));
  console.log(JSON.stringify({ many_tenants: round(await manyTenants(accounts)) }));
  console.log(JSON.stringify({ large_file: round(await largeFile()) }));
}

await main();
