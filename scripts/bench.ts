/**
 * The search benchmark of ../shared/BENCHMARK.md: a deterministic synthetic multi-tenant corpus,
 * loaded through the project's own wiring (buildServices, store.upsert), queried by five classes
 * (root, account, user, private, session) in-process through SearchService — the planned path and
 * the previous release's baseline, same table, same queries — with recall against exact ground truth
 * computed by the benchmark itself, then over HTTP with the same identities.
 *
 *   npm run bench -- [--records N] [--queries Q] [--json FILE] [--no-http] [--seed S]
 *
 * stdout: the table per class, then the one-line summary (last line). stderr: phases and progress.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../src/config.js';
import { createApp } from '../src/http/app.js';
import type { Embedder } from '../src/index/embedder.js';
import type { Logger } from '../src/log.js';
import { buildServices, type Services } from '../src/services.js';
import { SearchService, type SearchDeps, type SearchResult } from '../src/search/service.js';
import { parseArgs, USAGE, type BenchArgs } from './bench/args.js';
import { makeLayout, planCorpus } from './bench/corpus.js';
import { httpRunner, registerTenants, serve } from './bench/http.js';
import { loadCorpus, readyAfterLoad } from './bench/load.js';
import {
  measureVariant,
  percentile,
  round,
  sequential,
  type Answer,
  type Budget,
  type Runner,
  type VariantStats,
} from './bench/measure.js';
import { CLASS_NAMES, makeQueries, readersByFolder, type BenchQuery } from './bench/queries.js';
import { humanTable, reportJson, summaryLine, type ClassResult, type Ingest } from './bench/report.js';
import { DIM } from './bench/rng.js';
import { GroundTruth } from './bench/truth.js';
import { EXIT, runScript, scriptLogger } from './lib/cli.js';

/** Time budgets per class: enough for every query on the fast paths, bounded on the slow ones at 1M. */
const PLANNED: Budget = { latencyMs: 90_000, qpsMs: 20_000 };
const BASELINE: Budget = { latencyMs: 45_000, qpsMs: 15_000 };
const HTTP_LATENCY_MS = 30_000;

const started = performance.now();
const note = (message: string): void => {
  process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${message}\n`);
};

function rssSampler(): { peakMb: () => number; stop: () => void } {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 200);
  timer.unref();
  return {
    peakMb: () => Math.max(peak, process.memoryUsage().rss) / 2 ** 20,
    stop: () => clearInterval(timer),
  };
}

/** An embedder that maps `q:<index>` to that query's vector: the benchmark gives vectors directly. */
function lookupEmbedder(queries: readonly BenchQuery[]): Embedder {
  return {
    id: 'bench:lookup',
    dimension: DIM,
    embed: (texts) =>
      Promise.resolve(
        texts.map((t) => {
          const q = queries[Number(t.slice(2))];
          if (!t.startsWith('q:') || q === undefined) throw new Error(`unknown benchmark query ${t}`);
          return q.vector;
        }),
      ),
  };
}

/** `explain.plan`: its name, matching count and the time of each stage of the vector query. */
function planOf(result: SearchResult): Pick<Answer, 'plan' | 'matching' | 'stages_ms'> {
  const plan = result.explain?.plan;
  return {
    plan: plan?.name ?? 'unknown',
    matching: plan?.matching ?? null,
    stages_ms: plan?.stages_ms ?? {},
  };
}

function serviceRunner(service: SearchService): Runner {
  return async (q: BenchQuery): Promise<Answer> => {
    const request = {
      query: `q:${q.index}`,
      target_uri: q.target,
      limit: 10,
      mode: 'vector',
      explain: true,
    } as const;
    const result = await service.search(q.ctx, request);
    const hits = [...result.memories, ...result.resources, ...result.skills, ...result.sessions];
    return { uris: hits.map((h) => h.uri), ...planOf(result) };
  };
}

/** The default service, and one forced onto the previous release's path (`plan: 'baseline'`). */
function variants(
  services: Services,
  queries: readonly BenchQuery[],
  log: Logger,
): Record<'planned' | 'baseline', Runner> {
  const deps: SearchDeps = { index: services.store, embedder: lookupEmbedder(queries), log };
  const baseline: SearchDeps = { ...deps, plan: 'baseline' };
  return {
    planned: serviceRunner(new SearchService(deps)),
    baseline: serviceRunner(new SearchService(baseline)),
  };
}

function noteVariant(name: string, variant: string, v: VariantStats): void {
  const counts =
    v.matchingMismatches === 0
      ? ''
      : ` — WARNING: ${v.matchingMismatches} answers reported a matching count other than the ground truth's`;
  note(`${name} ${variant}: p50 ${v.p50_ms} ms, recall ${v.recall_at_10}, ${v.queries} queries${counts}`);
}

async function measureInProcess(
  runners: Record<'planned' | 'baseline', Runner>,
  byClass: ReadonlyMap<string, BenchQuery[]>,
  truth: GroundTruth,
): Promise<ClassResult[]> {
  const exact = (q: BenchQuery) => truth.top[q.index]!.best;
  const results: ClassResult[] = [];
  for (const name of CLASS_NAMES) {
    const qs = byClass.get(name) ?? [];
    const planned = await measureVariant(runners.planned, qs, exact, PLANNED);
    noteVariant(name, 'planned', planned);
    const baseline = await measureVariant(runners.baseline, qs, exact, BASELINE);
    noteVariant(name, 'baseline', baseline);
    const matching_median = percentile(
      qs.map((q) => q.matching),
      50,
    );
    results.push({ name, matching_median, planned, baseline, http: null, http_hybrid: null });
  }
  return results;
}

async function measureHttp(
  services: Services,
  rootKey: string,
  userKeys: ReadonlyMap<number, string>,
  byClass: ReadonlyMap<string, BenchQuery[]>,
  results: ClassResult[],
): Promise<ClassResult[]> {
  const server = await serve(createApp(services.deps));
  try {
    const out: ClassResult[] = [];
    for (const result of results) {
      const latency = async (mode: 'vector' | 'hybrid') => {
        const run = httpRunner(server.base, rootKey, userKeys, mode);
        const { samples, count } = await sequential(run, byClass.get(result.name) ?? [], HTTP_LATENCY_MS);
        return {
          p50_ms: round(percentile(samples, 50)),
          p99_ms: round(percentile(samples, 99)),
          queries: count,
        };
      };
      const http = await latency('vector');
      // Hybrid (vector + full text, the API's default mode) on the user class: the 1.3× target.
      const http_hybrid = result.name === 'user' ? await latency('hybrid') : null;
      note(`${result.name} http: p50 ${http.p50_ms} ms, ${http.queries} queries`);
      if (http_hybrid !== null) note(`${result.name} http hybrid: p50 ${http_hybrid.p50_ms} ms`);
      out.push({ ...result, http, http_hybrid });
    }
    return out;
  } finally {
    await server.close();
  }
}

async function run(args: BenchArgs): Promise<number> {
  const rss = rssSampler();
  const layout = makeLayout(args.seed);
  const plan = planCorpus(layout, args.records, args.seed);
  const { queries, reps } = makeQueries(layout, plan, args.queries, args.seed);
  const truth = new GroundTruth(plan, queries, readersByFolder(plan, queries), reps, 10);
  const byClass = new Map(CLASS_NAMES.map((name) => [name, queries.filter((q) => q.cls === name)]));
  note(`planned ${args.records} records in ${plan.folders.length} folders, ${queries.length} queries`);

  const dir = await mkdtemp(join(tmpdir(), 'vs-bench-'));
  const rootKey = randomBytes(24).toString('hex');
  // Only the search tuning variables pass through: never LANCEDB_URI or DATA_DIR of a real store.
  const config = loadConfig({
    DATA_DIR: dir,
    EMBEDDER: 'builtin',
    ROOT_API_KEY: rootKey,
    LOG_LEVEL: 'silent',
    SEARCH_MEMORY_MB: process.env['SEARCH_MEMORY_MB'],
    SEARCH_THREADS: process.env['SEARCH_THREADS'],
  });
  const log = scriptLogger(config);
  const services = await buildServices(config, log);
  let results: ClassResult[];
  let ingest: Ingest;
  try {
    const userKeys = await registerTenants(services.accounts, layout);
    await services.pipeline.waitIdle(); // account creation queues a purge of the account's region
    note('accounts and users registered; loading');
    const load = await loadCorpus(services.store, layout, plan, truth, args.seed, note);
    note(
      `loaded in ${load.wallS.toFixed(1)} s (upsert ${load.upsertS.toFixed(1)} s, ` +
        `${Math.round(load.recordsPerS)} records/s excluding generation and embedding)`,
    );
    const runners = variants(services, queries, log);
    const probes = CLASS_NAMES.flatMap((name) => byClass.get(name)?.slice(0, 1) ?? []);
    const ready = await readyAfterLoad(services.store, probes, runners.planned, load.endedAt, note);
    const rssMb = Math.round(process.memoryUsage().rss / 2 ** 20);
    note(
      `ready ${ready.toFixed(1)} s after the load; RSS ${rssMb} MB, peak so far ${Math.round(rss.peakMb())} MB`,
    );
    results = await measureInProcess(runners, byClass, truth);
    if (args.http) results = await measureHttp(services, rootKey, userKeys, byClass, results);
    ingest = {
      records_per_s: Math.round(load.recordsPerS),
      ready_after_load_s: round(ready, 1),
      peak_rss_mb: Math.round(rss.peakMb()),
    };
  } finally {
    rss.stop();
    await services.close();
    await rm(dir, { recursive: true, force: true });
  }
  const report = reportJson(args.records, args.queries, ingest, results);
  if (args.json !== undefined) {
    await writeFile(args.json, `${JSON.stringify(report, null, 2)}\n`);
    note(`report written to ${args.json}`);
  }
  process.stdout.write(`${humanTable(results)}\n\n`);
  process.stdout.write(
    `records/s excludes embedding and corpus generation; peak RSS ${ingest.peak_rss_mb} MB is the whole ` +
      `process, which also holds the corpus plan and ground truth\n`,
  );
  process.stdout.write(`${summaryLine(args.records, results)}\n`);
  return EXIT.ok;
}

runScript('bench', async () => {
  const args = parseArgs(process.argv.slice(2));
  if (args === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }
  return run(args);
});
