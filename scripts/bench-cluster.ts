/**
 * How soon a write acknowledged by one member of a cluster is findable on the others (SPEC 14: within
 * 1 s, p99), with writes spread over every member. Starts `--processes` servers (default 3) on a fresh
 * database of its own (dropped after), writes `--writes` files (default 200) round-robin with
 * `wait: true`, `--concurrency` at a time (default 4), and after each acknowledgement polls every
 * other member (full-text search for the file's unique word, every 20 ms) until it finds the file.
 * Baseline, same run: the same search on the member that took the write (it must find it at once).
 *
 *   npm run build && node dist/scripts/bench-cluster.js --processes 3 --writes 200
 *   (TEST_DATABASE_URL_BASE overrides postgres://postgres@127.0.0.1:5432)
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { Cluster } from './lib/cluster.js';
import { percentile } from './bench/measure.js';
import { BENCH_DATABASE_BASE, openDatabase } from './lib/database.js';

const ROOT_KEY = randomBytes(24).toString('hex');

async function post(base: string, key: string, path: string, body: unknown): Promise<unknown> {
  const response = await fetch(`${base}/api/v1${path}`, {
    method: 'POST',
    headers: { 'X-API-Key': key, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const parsed = (await response.json()) as { result?: unknown };
  if (!response.ok) throw new Error(`${path} on ${base}: HTTP ${response.status} ${JSON.stringify(parsed)}`);
  return parsed.result;
}

async function finds(base: string, key: string, word: string): Promise<boolean> {
  const result = (await post(base, key, '/search/find', { query: word, mode: 'fulltext', limit: 5 })) as {
    total: number;
  };
  return result.total > 0;
}

/** Ms until `base` finds `word` (polled every 20 ms; gives up after 30 s). */
async function timeToFind(base: string, key: string, word: string, since: number): Promise<number> {
  for (;;) {
    if (await finds(base, key, word)) return performance.now() - since;
    if (performance.now() - since > 30_000) return Number.POSITIVE_INFINITY;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      processes: { type: 'string', default: '3' },
      writes: { type: 'string', default: '200' },
      concurrency: { type: 'string', default: '4' },
      wait: { type: 'string', default: 'true' },
    },
  });
  const processes = Number(values.processes);
  const writes = Number(values.writes);
  const concurrency = Number(values.concurrency);
  if (values.wait !== 'true' && values.wait !== 'false') throw new Error('--wait: true or false');
  const wait = values.wait === 'true';
  const loadBefore = loadavg()[0] ?? NaN;
  const db = await openDatabase(BENCH_DATABASE_BASE);
  const dir = await mkdtemp(join(tmpdir(), 'vs-bench-cluster-'));
  const cluster = await Cluster.start({
    processes,
    databaseUrl: db.url,
    dataDir: dir,
    entry: [fileURLToPath(new URL('../src/main.js', import.meta.url))],
    env: { ROOT_API_KEY: ROOT_KEY, EMBEDDER: 'builtin', LOG_LEVEL: 'warn', HOST: '127.0.0.1' },
  });
  try {
    const urls = cluster.urls;
    const first = urls[0] ?? '';
    const { user_key: key } = (await post(first, ROOT_KEY, '/admin/accounts', {
      account_id: 'bench',
      admin_user_id: 'writer',
    })) as { user_key: string };
    const others: number[] = [];
    const own: number[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < writes; i = next++) {
        const word = `w${randomBytes(6).toString('hex')}`;
        const writer = urls[i % urls.length] ?? '';
        await post(writer, key, '/content/write', {
          uri: `viking://resources/bench/${word}.md`,
          content: `${word} cluster propagation`,
          wait,
        });
        const acked = performance.now();
        const [mine, ...rest] = await Promise.all([
          timeToFind(writer, key, word, acked),
          ...urls.filter((u) => u !== writer).map((u) => timeToFind(u, key, word, acked)),
        ]);
        own.push(mine ?? NaN);
        others.push(...rest);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const report = (xs: number[]) => ({
      p50_ms: Math.round(percentile(xs, 50)),
      p99_ms: Math.round(percentile(xs, 99)),
      max_ms: Math.round(Math.max(...xs)),
    });
    const summary = {
      processes,
      writes,
      concurrency,
      wait,
      load_average_1m: [loadBefore, loadavg()[0] ?? NaN].map((x) => Number(x.toFixed(2))),
      other_members: report(others),
      writing_member_baseline: report(own),
      within_1s: others.filter((x) => x <= 1000).length / others.length,
    };
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    process.stdout.write(
      `found on the other members: p99 ${summary.other_members.p99_ms} ms (target 1000), ` +
        `the writing member's own search p99 ${summary.writing_member_baseline.p99_ms} ms\n`,
    );
  } finally {
    await cluster.stop();
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
