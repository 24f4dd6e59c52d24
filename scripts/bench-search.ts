/**
 * Query-path benchmark: what SearchService adds on top of the bare LanceDB query. On a synthetic
 * multi-tenant index (default 50,000 records, 10 accounts × 20 users × 4 agents), each query runs
 * as the baseline — embed + `store.vectorSearch` / `store.fullTextSearch` with the same compiled
 * visibility filter — and through `SearchService.search` (filter building, post-retrieval re-check,
 * one hit per URI, grouping), measured in the same run, one query in flight.
 *
 *   npm run bench:search -- [records=50000] [queries=200]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createBuiltinEmbedder } from '../src/index/embedders/builtin.js';
import { fileRecords, type IndexRecord } from '../src/index/records.js';
import { IndexStore } from '../src/index/store.js';
import { logger } from '../src/log.js';
import { compileWhere, DEFAULT_POLICY, visibilityExpr, type RequestContext } from '../src/policy/index.js';
import { SearchService, type SearchMode } from '../src/search/service.js';

const WORDS = (
  'agent user memory session vector search index namespace policy resource skill instruction preference ' +
  'entity event case pattern archive message overview abstract folder file read write deploy budget ' +
  'travel invoice meeting roadmap customer contract release incident review design'
).split(' ');

let seed = 7;
const next = (n: number): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % n;
const pick = <T>(items: readonly T[]): T => items[next(items.length)] as T;
const words = (n: number): string => Array.from({ length: n }, () => pick(WORDS)).join(' ');

const ACCOUNTS = Array.from({ length: 10 }, (_, i) => `acc${i}`);
const USERS = Array.from({ length: 20 }, (_, i) => `u${i}`);
const AGENTS = ['bot', 'helper', 'coder', 'planner'];

function randomUri(i: number): string {
  const r = next(10);
  if (r < 3) return `viking://resources/docs/d${i}.md`;
  if (r < 7) return `viking://user/${pick(USERS)}/memories/m${i}.md`;
  if (r < 9) return `viking://agent/${pick(AGENTS)}/skills/s${i}.md`;
  return `viking://session/s${next(50)}/notes/n${i}.md`;
}

async function load(store: IndexStore, count: number): Promise<void> {
  const embedder = createBuiltinEmbedder();
  const batch = 5000;
  for (let start = 0; start < count; start += batch) {
    const drafts = Array.from({ length: Math.min(batch, count - start) }, (_, k) => {
      const i = start + k;
      const times = { created_at: i, updated_at: i };
      return fileRecords(pick(ACCOUNTS), randomUri(i), `${words(12)} w${i}`, DEFAULT_POLICY, times)[0];
    }).filter((d) => d !== undefined);
    const vectors = await embedder.embed(drafts.map((d) => d.text));
    await store.upsert(drafts.map((d, j): IndexRecord => ({ ...d, vector: vectors[j] as Float32Array })));
  }
  await store.optimize();
}

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function time(runs: number, work: (i: number) => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < Math.min(20, runs); i++) await work(i); // warm-up
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await work(i);
    samples.push(performance.now() - t0);
  }
  return samples;
}

async function main(): Promise<void> {
  const records = Number(process.argv[2] ?? 50_000);
  const queries = Number(process.argv[3] ?? 200);
  const dir = await mkdtemp(join(tmpdir(), 'vs-bench-search-'));
  const embedder = createBuiltinEmbedder();
  const store = await IndexStore.open({ uri: dir, embedder, optimizeEvery: 1_000_000 });
  try {
    const t0 = performance.now();
    await load(store, records);
    process.stdout.write(`loaded ${records} records in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    const service = new SearchService({ index: store, embedder, log: logger });
    const contexts: RequestContext[] = Array.from({ length: queries }, () => ({
      role: 'user',
      policy: DEFAULT_POLICY,
      effective: { account_id: pick(ACCOUNTS), user_id: pick(USERS), agent_id: pick(AGENTS) },
    }));
    const texts = Array.from({ length: queries }, () => words(3));
    const ctx = (i: number) => contexts[i] as RequestContext;
    const where = (i: number) => compileWhere(visibilityExpr(ctx(i)));
    const ours = (mode: SearchMode) => (i: number) =>
      service.search(ctx(i), { query: texts[i] as string, limit: 10, mode });
    const rows: Array<[string, number[]]> = [
      [
        'baseline vector (embed + store.vectorSearch)',
        await time(queries, async (i) => {
          const [v] = await embedder.embed([texts[i] as string]);
          return store.vectorSearch(v as Float32Array, where(i), 40);
        }),
      ],
      ['SearchService vector', await time(queries, ours('vector'))],
      [
        'baseline fulltext (store.fullTextSearch)',
        await time(queries, (i) => store.fullTextSearch(texts[i] as string, where(i), 40)),
      ],
      ['SearchService fulltext', await time(queries, ours('fulltext'))],
      ['SearchService hybrid', await time(queries, ours('hybrid'))],
    ];
    const base = (label: string) => percentile(rows.find(([l]) => l.startsWith(label))?.[1] ?? [], 50);
    for (const [label, samples] of rows) {
      const p50 = percentile(samples, 50);
      const ref = label.includes('fulltext') ? base('baseline fulltext') : base('baseline vector');
      process.stdout.write(
        `${label.padEnd(46)} p50 ${p50.toFixed(1).padStart(7)} ms  p99 ${percentile(samples, 99).toFixed(1).padStart(7)} ms  ` +
          `${(p50 / ref).toFixed(2)}× baseline p50\n`,
      );
    }
  } finally {
    store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench-search failed: ${String(error)}\n`);
  process.exitCode = 1;
});
