/**
 * Issue 22's tiny tenants, in one process (no HTTP, no LanceDB): N accounts created through the
 * real account registry (files under a temporary DATA_DIR, as the embedded server keeps them), each
 * with one record put in the in-memory index (384 dimensions) — the server's growth per tenant,
 * registry included; then M accounts of 10 records each in an index with the default budget
 * (SEARCH_MEMORY_MB 3072): does the mirror stay on, and what does it count.
 *
 * V8's young generation grows from 1 to 16 MiB a half-space with the allocation rate, whatever is
 * kept: a server that has served anything has it grown already, so it is grown before the baseline
 * (`young_mib` shows it) and RSS growth is what the tenants keep.
 *
 *   node --expose-gc --import ./test/helpers/ts-register.mjs scripts/bench-tenants.ts [N] [M]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getHeapSpaceStatistics } from 'node:v8';
import { AccountStore } from '../src/accounts/store.js';
import { NO_HOOKS } from '../src/hooks.js';
import { ArenaFullError } from '../src/index/memory/arena.js';
import { MemoryIndex, type MemoryRow } from '../src/index/memory/index.js';
import { fileRecords } from '../src/indexing/records.js';
import { DEFAULT_POLICY } from '../src/policy/index.js';
import { DIMENSION, MIB, settle, times, vector } from './lib/memory-probe.js';

const DEFAULT_BUDGET = 3072 * MIB;

const young = (): number =>
  (getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0) / MIB;

/** Objects that survive a few scavenges, then dropped: V8 grows its young generation to its maximum. */
function growYoungGeneration(): void {
  let kept: object[] = [];
  for (let round = 0; round < 40; round++) {
    kept = kept.slice(-200_000);
    for (let i = 0; i < 100_000; i++) kept.push({ round, i });
  }
  kept.length = 0;
}

function record(account: string, uri: string, i: number): { row: MemoryRow; text: string } {
  const text = `notes of tenant ${account} ${i}: the quarterly plan, owners and open questions`;
  const [{ text: body, ...row }] = fileRecords(account, uri, text, DEFAULT_POLICY, times) as [
    ReturnType<typeof fileRecords>[0],
  ];
  return { row, text: body };
}

async function tinyTenants(accounts: number): Promise<Record<string, number>> {
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-tenants-'));
  const registry = await AccountStore.open({ dataDir, registry: true, hooks: NO_HOOKS });
  const index = await MemoryIndex.create(DIMENSION, DEFAULT_BUDGET);
  growYoungGeneration();
  const before = settle();
  const youngBefore = young();
  const started = performance.now();
  for (let i = 0; i < accounts; i++) {
    const account = `tiny${i}`;
    await registry.createAccount(account, 'admin', DEFAULT_POLICY);
    const { row, text } = record(account, 'viking://resources/notes.md', i);
    index.put(row, vector(i), text);
  }
  const seconds = (performance.now() - started) / 1000;
  const after = settle();
  const result = {
    accounts,
    seconds,
    index_counted_bytes_per_record: index.bytes / accounts,
    linear_mib: index.linearBytes / MIB,
    heap_growth_mib: (after.heapUsed - before.heapUsed) / MIB,
    young_mib_before: youngBefore,
    young_mib_after: young(),
    rss_growth_mib: (after.rss - before.rss) / MIB,
    rss_per_account_bytes: (after.rss - before.rss) / accounts,
  };
  await index.close();
  await registry.close();
  await rm(dataDir, { recursive: true, force: true });
  return result;
}

async function tenAccounts(accounts: number): Promise<Record<string, number>> {
  const index = await MemoryIndex.create(DIMENSION, DEFAULT_BUDGET);
  let records = 0;
  let on = 1;
  try {
    for (let i = 0; i < accounts; i++) {
      for (let j = 0; j < 10; j++) {
        const { row, text } = record(`ten${i}`, `viking://resources/notes/n${j}.md`, j);
        index.put(row, vector(records), text);
        records += 1;
      }
    }
  } catch (error) {
    if (!(error instanceof ArenaFullError)) throw error;
    on = 0;
  }
  const result = {
    accounts,
    records,
    mirror_on: on,
    counted_mib: index.bytes / MIB,
    budget_mib: DEFAULT_BUDGET / MIB,
    counted_bytes_per_record: index.bytes / records,
    // The float32 vectors: in the index's vector file (page cache), not counted.
    vector_file_mib: index.fileBytes / MIB,
    rss_mib: process.memoryUsage().rss / MIB,
  };
  await index.close();
  return result;
}

async function main(): Promise<void> {
  const tiny = Number(process.argv[2] ?? 8000);
  const ten = Number(process.argv[3] ?? 0);
  const round = (o: Record<string, number>) =>
    Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Math.round(v * 10) / 10]));
  console.log(JSON.stringify({ tiny_tenants: round(await tinyTenants(tiny)) }));
  if (ten > 0) console.log(JSON.stringify({ ten_record_accounts: round(await tenAccounts(ten)) }));
}

await main();
