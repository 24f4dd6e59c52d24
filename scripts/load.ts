/**
 * `npm run load -- [--seconds 60] [--json FILE] [--search-only] [--records N] [--keep]`: issue 11's
 * load against a real server this script starts as a child process (own DATA_DIR, root key, port),
 * so the server's RSS is measured from outside.
 *
 * Mixed (default): four accounts (one per namespace policy) with USER keys; 4,000 documents
 * preloaded and indexed; then for `--seconds` 6 writers, 2 session-message posters and 8 searchers;
 * a sample of acknowledged writes is probed until findable (index lag); 5 s after the load every
 * acknowledged write is checked; RSS before and after. `--search-only`: 20,000 documents, 32
 * searchers, no writes. 429/503 answers are honoured (sleep Retry-After, send again) and counted.
 * Memory: the server is sampled every `--sample-s` seconds (RSS and the breakdown in ROOT's status);
 * `--files N` makes writers overwrite N files each, so the corpus stops growing and RSS should too.
 * `--database-url URL` (or DATABASE_URL) runs the server on PostgreSQL (one process of distributed
 * mode); a URL without a database name gets a fresh database, dropped after the run. The machine's
 * load average (1 min) before and after the load is reported with the figures.
 */
import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { notFindable } from './load/check.js';
import { Api, percentile, type ClientKind, type Tally } from './load/client.js';
import { afterWarmup, beforeAfter, MemorySeries, type MemorySample } from './load/memory.js';
import { latestPerFile, runMixed } from './load/mixed.js';
import { openDatabase, type LoadDatabase } from './lib/database.js';
import { startServer, type LoadServer } from './load/server.js';
import { createWorld, drain, indexState, preload, Words, type Identity, type World } from './load/world.js';
import { EXIT, UsageError, runScript } from './lib/cli.js';

const USAGE =
  'usage: npm run load -- [--seconds 60] [--json FILE] [--search-only] [--records N] [--writers 6] [--searchers 8]\n' +
  '  [--files N] [--sample-s 5] [--warmup-s S] [--keep] [--database-url postgres://…]';
const LOAD_KINDS: readonly ClientKind[] = ['writer', 'session', 'searcher', 'probe'];

interface Args {
  readonly seconds: number;
  readonly json: string | undefined;
  readonly searchOnly: boolean;
  readonly records: number;
  readonly keep: boolean;
  /** Clients of the mixed load: file writers and searchers (default 6 and 8). */
  readonly writers: number;
  readonly searchers: number;
  /** Each writer overwrites its own `files` files in turn (the corpus stops growing); default: new files. */
  readonly files: number | undefined;
  /** Seconds between memory samples, and the warm-up the RSS trend is taken after. */
  readonly sampleS: number;
  readonly warmupS: number;
  /** PostgreSQL for the server (distributed mode); undefined: the embedded mode. */
  readonly databaseUrl: string | undefined;
}

function parse(argv: readonly string[]): Args {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      seconds: { type: 'string', default: '60' },
      json: { type: 'string' },
      'search-only': { type: 'boolean', default: false },
      records: { type: 'string' },
      keep: { type: 'boolean', default: false },
      writers: { type: 'string', default: '6' },
      searchers: { type: 'string', default: '8' },
      files: { type: 'string' },
      'sample-s': { type: 'string', default: '5' },
      'warmup-s': { type: 'string' },
      'database-url': { type: 'string' },
    },
  });
  const searchOnly = values['search-only'];
  const seconds = Number(values.seconds);
  const records = Number(values.records ?? (searchOnly ? 20_000 : 4_000));
  if (!Number.isInteger(seconds) || seconds < 1)
    throw new UsageError(`--seconds: a whole number ≥ 1\n${USAGE}`);
  if (!Number.isInteger(records) || records < 1)
    throw new UsageError(`--records: a whole number ≥ 1\n${USAGE}`);
  const writers = Number(values.writers);
  const searchers = Number(values.searchers);
  const files = values.files === undefined ? undefined : Number(values.files);
  const sampleS = Number(values['sample-s']);
  const warmupS = Number(values['warmup-s'] ?? Math.min(60, Math.round(seconds / 5)));
  for (const [flag, value] of [
    ['--writers', writers],
    ['--searchers', searchers],
    ['--warmup-s', warmupS],
  ] as const)
    if (!Number.isInteger(value) || value < 0) throw new UsageError(`${flag}: a whole number ≥ 0\n${USAGE}`);
  for (const [flag, value] of [
    ['--files', files ?? 1],
    ['--sample-s', sampleS],
  ] as const)
    if (!Number.isInteger(value) || value < 1) throw new UsageError(`${flag}: a whole number ≥ 1\n${USAGE}`);
  const keep = values.keep;
  const databaseUrl = (values['database-url'] ?? process.env['DATABASE_URL'] ?? '').trim() || undefined;
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl))
    throw new UsageError(`--database-url: a postgres:// URL\n${USAGE}`);
  return {
    seconds,
    json: values.json,
    searchOnly,
    records,
    keep,
    writers,
    searchers,
    files,
    sampleS,
    warmupS,
    databaseUrl,
  };
}

const say = (line: string): void => void process.stderr.write(`${line}\n`);
const round = (value: number, digits = 1): number => Number(value.toFixed(digits));

function sum(api: Api, kinds: readonly ClientKind[]): Tally {
  const total: Tally = { ok: 0, s429: 0, s503: 0, s5xx: 0, s4xx: 0, errors: 0, retries: 0 };
  for (const kind of kinds) {
    const t = api.tally(kind);
    for (const key of Object.keys(total) as (keyof Tally)[]) total[key] += t[key];
  }
  return total;
}

/** CPU seconds the server and this script use from now until the returned function is called. */
async function cpuMark(server: LoadServer): Promise<() => Promise<Record<string, number>>> {
  const server0 = await server.cpuS();
  const client0 = process.cpuUsage();
  return async () => {
    const client = process.cpuUsage(client0);
    return {
      server_cpu_s: round((await server.cpuS()) - server0),
      client_cpu_s: round((client.user + client.system) / 1e6),
    };
  };
}

async function setUp(api: Api, server: LoadServer, records: number): Promise<World> {
  const world = await createWorld(api, server.rootKey);
  const started = performance.now();
  await preload(api, world, records, 16, (done) => say(`preload: ${done}/${records} written`));
  const writeS = (performance.now() - started) / 1000;
  const drainS = await drain(api, world, 900);
  say(
    `preload: ${records} documents written in ${writeS.toFixed(1)} s, indexed ${drainS.toFixed(1)} s later`,
  );
  return world;
}

const memoryLine = (s: MemorySample | undefined): string =>
  s === undefined
    ? ''
    : ` (heap ${s.heap_used_mb}/${s.heap_total_mb}, ext ${s.external_mb}, index ${s.mirror_mb}, lance cache ${s.lancedb_cache_mb} MB)`;

interface Outcome {
  readonly report: Record<string, number>;
  /** Memory samples over the load and after it (mixed load only). */
  readonly memory?: readonly MemorySample[];
}

async function mixed(api: Api, server: LoadServer, world: World, args: Args): Promise<Outcome> {
  const series = new MemorySeries(api, world, server, args.sampleS);
  const before = await series.sample();
  const cpu = await cpuMark(server);
  const files = args.files === undefined ? 'new files' : `overwriting ${args.files} files each`;
  say(
    `load: ${args.seconds} s, ${args.writers} writers (${files}), 2 session posters, ${args.searchers} searchers; ` +
      `server RSS ${before.rss_mb.toFixed(0)} MB (in-memory index ${before.mirror_mb} MB)`,
  );
  const started = performance.now();
  const result = await runMixed(
    api,
    world,
    {
      seconds: args.seconds,
      writers: args.writers,
      posters: 2,
      searchers: args.searchers,
      probeEvery: 10,
      maxProbes: 8,
      probeGraceS: 5,
      run: Date.now().toString(36),
      files: args.files,
    },
    (state) => {
      const t = (performance.now() - started) / 1000;
      void Promise.all([indexState(api, world), server.rssMb()]).then(
        ([index, rss]) => {
          const load = sum(api, LOAD_KINDS);
          say(
            `t=${t.toFixed(0)}s writes ${state.acked} (${(state.acked / t).toFixed(0)}/s) · messages ${state.messages} · ` +
              `searches ${state.searches} (${(state.searches / t).toFixed(1)}/s) · 429 ${load.s429} · 503 ${load.s503} · ` +
              `5xx ${load.s5xx} · queue ${index?.queue_depth ?? '?'} · lag ${index?.index_lag_s?.toFixed(1) ?? '?'} s · rss ${rss.toFixed(0)} MB` +
              memoryLine(series.samples.at(-1)),
          );
        },
        () => undefined,
      );
    },
  );
  const cpuS = await cpu();
  const wait = result.endedAt + 5000 - performance.now();
  if (wait > 0) await sleep(wait);
  say(`check: is each of the ${result.acked.length} acknowledged writes findable (from 5 s after the load)?`);
  const missing = await notFindable(api, latestPerFile(result.acked), 8);
  await sleep(5000);
  series.stop();
  const after = await series.sample();
  const load = sum(api, LOAD_KINDS);
  const lags = [...result.lags, ...result.unresolved];
  const report = {
    seconds: args.seconds,
    search_p50_ms: round(percentile(result.searchMs, 50)),
    search_p99_ms: round(percentile(result.searchMs, 99)),
    searches_per_s: round(result.searchMs.length / args.seconds),
    writes_per_s: round(result.acked.length / args.seconds),
    messages_per_s: round(result.messages / args.seconds),
    status_429: load.s429,
    status_503: load.s503,
    status_5xx: load.s5xx,
    status_4xx: load.s4xx,
    connection_errors: load.errors,
    retries: load.retries,
    acknowledged_writes: result.acked.length,
    lag_probes: lags.length,
    lag_unresolved: result.unresolved.length,
    lag_p50_s: round(percentile(lags, 50), 2),
    lag_p99_s: round(percentile(lags, 99), 2),
    lag_max_s: round(lags.length === 0 ? Number.NaN : lags.reduce((a, b) => Math.max(a, b)), 2),
    not_findable: missing.length,
    ...beforeAfter(before, after),
    ...afterWarmup(series.samples, args.warmupS),
    ...cpuS,
  };
  return { report, memory: series.samples };
}

async function searchOnly(api: Api, server: LoadServer, world: World, args: Args): Promise<Outcome> {
  const rssBefore = await server.rssMb();
  const cpu = await cpuMark(server);
  say(`search-only: ${args.seconds} s, 32 searchers over ${args.records} documents`);
  const stopAt = performance.now() + args.seconds * 1000;
  const samples: number[] = [];
  const searcher = async (s: number): Promise<void> => {
    const words = new Words(21000 + s);
    while (performance.now() < stopAt) {
      const identity: Identity = words.pick(world.identities);
      const body = { query: words.words(2 + words.next(2)), limit: 10 };
      const res = await api.call('searcher', identity, 'POST', '/api/v1/search/find', body, {
        until: stopAt,
      });
      if (res.status === 200) samples.push(res.ms);
    }
  };
  const timer = setInterval(() => say(`searches ${samples.length}`), 5000);
  await Promise.all(Array.from({ length: 32 }, (_, s) => searcher(s)));
  clearInterval(timer);
  const cpuS = await cpu();
  const load = api.tally('searcher');
  const report = {
    seconds: args.seconds,
    records: args.records,
    search_p50_ms: round(percentile(samples, 50)),
    search_p99_ms: round(percentile(samples, 99)),
    searches_per_s: round(samples.length / args.seconds),
    status_429: load.s429,
    status_503: load.s503,
    status_5xx: load.s5xx,
    status_4xx: load.s4xx,
    connection_errors: load.errors,
    retries: load.retries,
    rss_before_mb: round(rssBefore, 0),
    rss_after_mb: round(await server.rssMb(), 0),
    ...cpuS,
  };
  return { report };
}

function table(report: Record<string, number>, api: Api): string {
  const width = Math.max(...Object.keys(report).map((k) => k.length));
  const lines = Object.entries(report).map(([k, v]) => `${k.padEnd(width)}  ${Number.isNaN(v) ? '-' : v}`);
  lines.push('', 'answers by client   2xx    429    503    5xx    4xx    err  retries');
  for (const [kind, t] of api.tallies) {
    const cells = [t.ok, t.s429, t.s503, t.s5xx, t.s4xx, t.errors, t.retries].map((n) =>
      String(n).padStart(6),
    );
    lines.push(`${kind.padEnd(18)}${cells.join(' ')}`);
  }
  return lines.join('\n');
}

async function main(): Promise<number> {
  const args = parse(process.argv.slice(2));
  const database: LoadDatabase | null =
    args.databaseUrl === undefined ? null : await openDatabase(args.databaseUrl);
  say(
    `starting the server (dist/src/main.js) on ${database === null ? 'local files (embedded mode)' : database.shown} …`,
  );
  // The embedded mode is chosen explicitly: an inherited DATABASE_URL never reaches that server.
  const server = await startServer({ DATABASE_URL: database?.url ?? '' }).catch(async (error: unknown) => {
    await database?.drop();
    throw error;
  });
  say(`server pid ${server.pid} at ${server.base}, DATA_DIR ${server.dataDir}, log ${server.logFile}`);
  const api = new Api(server.base);
  try {
    const world = await setUp(api, server, args.records);
    const loadBefore = loadavg()[0] ?? Number.NaN;
    const { report: figures, memory } = args.searchOnly
      ? await searchOnly(api, server, world, args)
      : await mixed(api, server, world, args);
    const report = {
      postgresql: database === null ? 0 : 1,
      ...figures,
      load_average_1m_before: round(loadBefore, 2),
      load_average_1m_after: round(loadavg()[0] ?? Number.NaN, 2),
    };
    process.stdout.write(`${table(report, api)}\n`);
    if (args.json !== undefined) {
      const tallies = Object.fromEntries(api.tallies);
      const mode = args.searchOnly ? 'search-only' : 'mixed';
      const json = { mode, files: args.files ?? null, ...report, answers: tallies, memory: memory ?? [] };
      await writeFile(args.json, `${JSON.stringify(json, null, 2)}\n`);
    }
    return EXIT.ok;
  } finally {
    api.close();
    await server.stop(args.keep);
    await database?.drop();
    if (args.keep) say(`kept DATA_DIR ${server.dataDir}`);
  }
}

runScript('load', main);
