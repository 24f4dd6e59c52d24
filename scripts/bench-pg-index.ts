/**
 * The index on PostgreSQL (issue 24), measured against the embedded mode's equivalents in the same
 * run: record writes (PgRecords.upsert, 384-d, batches of 512: records/s), searches without the cache
 * (PgSearchIndex's exact scan, one in flight, by account size; baseline ScanIndex's in-memory scan
 * of the same records, recall checked against it) and the journal (PgJournal append, then 3 workers
 * take/ack: jobs/s; baseline LocalJournal over the file queue). Needs PostgreSQL at
 * TEST_DATABASE_URL_BASE (default postgres://postgres@127.0.0.1:5432); creates and drops a database.
 *
 *   node --import ./test/helpers/ts-register.mjs scripts/bench-pg-index.ts --records 20000 --queries 30
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { LocalJournal, type IndexJournal } from '../src/indexing/journal.js';
import { JobQueue } from '../src/indexing/queue.js';
import { canonicalUri, eq, type IndexRecord } from '../src/policy/index.js';
import { ScanIndex } from '../src/search/scan-index.js';
import { PgJournal } from '../src/storage/pg/journal.js';
import { migrate } from '../src/storage/pg/migrate.js';
import { createPool } from '../src/storage/pg/pool.js';
import { PgRecords } from '../src/storage/pg/records.js';
import { PgSearchIndex } from '../src/storage/pg/search.js';
import { poolDatabase } from '../src/storage/pg/sql.js';
import { percentile, round } from './bench/measure.js';
import { clusteredVector, DIM, randomCentroids, Rng, Zipf } from './bench/rng.js';
import { resourceRecord } from './bench/records.js';
import { numberFlag } from './lib/cli.js';
import { BENCH_DATABASE_BASE, openDatabase } from './lib/database.js';

const ACCOUNTS = 10;

function corpus(n: number, rng: Rng, centroids: Float32Array): IndexRecord[] {
  const accounts = new Zipf(ACCOUNTS, 1);
  return Array.from({ length: n }, (_, i) => {
    const vector = new Float32Array(DIM);
    clusteredVector(rng, centroids, rng.int(200), vector);
    return resourceRecord(i, {
      account_id: `acct${accounts.sample(rng)}`,
      text: `record ${i} words w${i % 97} w${i % 89}`,
      vector,
    });
  });
}

async function journalRate(make: (worker: number) => IndexJournal, workers: number, jobs: number) {
  const writer = make(0);
  const appendStart = performance.now();
  for (let i = 0; i < jobs; i++)
    await writer.append({
      type: 'file',
      account: `acct${i % ACCOUNTS}`,
      uri: canonicalUri(`viking://resources/f${i}`),
    });
  const appendS = (performance.now() - appendStart) / 1000;
  const drainStart = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      const journal = w === 0 ? writer : make(w);
      for (let idle = 0; idle < 3;) {
        const batch = await journal.take(64);
        if (batch.length === 0) idle++;
        else await journal.ack(batch);
      }
    }),
  );
  const drainS = (performance.now() - drainStart) / 1000;
  return { append_per_s: round(jobs / appendS, 0), drain_per_s: round(jobs / drainS, 0) };
}

async function main(): Promise<void> {
  const n = numberFlag('--records', 20_000);
  const queries = numberFlag('--queries', 30);
  const dir = await mkdtemp(join(tmpdir(), 'vs-bench-pg-'));
  const db = await openDatabase(BENCH_DATABASE_BASE);
  const pool = createPool(db.url);
  try {
    await migrate(pool);
    const db = poolDatabase(pool);
    const rng = new Rng(24);
    const centroids = randomCentroids(rng, 200);
    const records = corpus(n, rng, centroids);
    const store = new PgRecords(db);
    const writeStart = performance.now();
    for (let i = 0; i < n; i += 512) await store.upsert(records.slice(i, i + 512));
    const upsertPerS = n / ((performance.now() - writeStart) / 1000);
    const scan = new ScanIndex();
    scan.put(records);
    const search = await PgSearchIndex.open(db);
    const classes = [];
    for (const account of ['acct0', 'acct3', 'acct9']) {
      const filter = eq('account_id', account);
      const matching = records.filter((r) => r.account_id === account).length;
      const pgMs: number[] = [];
      const memMs: number[] = [];
      let recall = 0;
      for (let q = 0; q < queries; q++) {
        const vector = new Float32Array(DIM);
        clusteredVector(rng, centroids, rng.int(200), vector);
        let t = performance.now();
        const want = (await scan.vectorSearch(vector, filter, 10)).rows.map((r) => r.id);
        memMs.push(performance.now() - t);
        t = performance.now();
        const got = new Set((await search.vectorSearch(vector, filter, 10)).rows.map((r) => r.id));
        pgMs.push(performance.now() - t);
        recall += want.filter((id) => got.has(id)).length / Math.max(1, want.length);
      }
      classes.push({
        account,
        matching,
        plan: search.plan,
        pg_p50_ms: round(percentile(pgMs, 50)),
        pg_p99_ms: round(percentile(pgMs, 99)),
        baseline_scan_p50_ms: round(percentile(memMs, 50)),
        ratio_p50: round(percentile(pgMs, 50) / percentile(memMs, 50)),
        recall_at_10: round(recall / queries, 3),
      });
    }
    const jobs = 3000;
    const pgJournal = await journalRate((w) => new PgJournal(db, { workerId: `w${w}` }), 3, jobs);
    const queue = await JobQueue.open(dir);
    const local = await journalRate(() => new LocalJournal(queue), 1, jobs);
    await queue.close();
    const report = {
      records: n,
      dim: DIM,
      upsert_records_per_s: round(upsertPerS, 0),
      search: classes,
      journal: { jobs, pg_3_workers: pgJournal, baseline_local_1_worker: local },
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    const s = classes
      .map((c) => `${c.account}(${c.matching}) p50=${c.pg_p50_ms} ms ×${c.ratio_p50}`)
      .join(' | ');
    process.stdout.write(
      `pg index bench: records=${n} upsert=${report.upsert_records_per_s}/s | ${s} | journal drain ${pgJournal.drain_per_s}/s vs local ${local.drain_per_s}/s\n`,
    );
  } finally {
    await pool.end();
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
