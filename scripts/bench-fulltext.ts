/**
 * Full-text search on both backends: the in-memory index (mirror ready) and the LanceDB path
 * (SEARCH_MEMORY_MB=0: LanceDB's full-text index as a candidate finder, every candidate cut again and
 * scored with BM25 over the caller's view), against LanceDB's own top k (the previous release's
 * LanceDB path, whose scores use table-wide statistics), same table, same queries, one in flight.
 * Corpus: N records of ~120 words from a Zipf (s = 1) vocabulary of 20,000 words, in 10 accounts of
 * Zipf sizes; queries are one word of a given frequency band in the largest account and in a small
 * one, plus two-word queries. Reports p50/p99 per band and path, and whether both backends agreed.
 *
 *   npm run bench:fulltext -- [--records N] [--queries Q]
 *   # or: node --import ./test/helpers/ts-register.mjs scripts/bench-fulltext.ts --records 20000
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as lancedb from '@lancedb/lancedb';
import { fileRecords, type IndexRecord } from '../src/indexing/records.js';
import { IndexStore, TABLE_NAME } from '../src/index/store.js';
import { logger } from '../src/log.js';
import { compileWhere, DEFAULT_POLICY, eq, HIT_COLUMNS, type Expr } from '../src/policy/index.js';
import { percentile, round } from './bench/measure.js';
import { Rng, Zipf } from './bench/rng.js';
import { numberFlag } from './lib/cli.js';

const VOCABULARY = 20_000;
const WORDS_PER_RECORD = 120;
const ACCOUNTS = 10;
const K = 10;
const DIM = 8;

const wordOf = (rank: number): string => `w${rank.toString(36)}x`;

function corpus(n: number, rng: Rng): IndexRecord[] {
  const words = new Zipf(VOCABULARY, 1);
  const accounts = new Zipf(ACCOUNTS, 1);
  const vector = new Float32Array(DIM).fill(1 / Math.sqrt(DIM));
  const out: IndexRecord[] = [];
  for (let i = 0; i < n; i++) {
    const text = Array.from({ length: WORDS_PER_RECORD }, () => wordOf(words.sample(rng))).join(' ');
    const account = `acct${accounts.sample(rng)}`;
    const times = { created_at: i, updated_at: i };
    for (const d of fileRecords(account, `viking://resources/d/f${i}.md`, text, DEFAULT_POLICY, times))
      out.push({ ...d, vector });
  }
  return out;
}

type Path = (query: string, filter: Expr) => Promise<Array<{ id: string }>>;

async function timed(path: Path, queries: ReadonlyArray<readonly [string, Expr]>): Promise<number[]> {
  const ms: number[] = [];
  for (const [query, filter] of queries) {
    const started = performance.now();
    await path(query, filter);
    ms.push(performance.now() - started);
  }
  return ms;
}

async function main(): Promise<void> {
  const n = numberFlag('--records', 20_000);
  const perBand = numberFlag('--queries', 40);
  const dir = await mkdtemp(join(tmpdir(), 'vs-bench-fulltext-'));
  const embedder = { id: 'bench:fulltext', dimension: DIM };
  const log = logger.child({}, { level: 'warn' });
  try {
    const writer = await IndexStore.open({ uri: dir, embedder, log });
    const records = corpus(n, new Rng(7));
    for (let i = 0; i < records.length; i += 2000) await writer.upsert(records.slice(i, i + 2000));
    await writer.optimize();
    await writer.close();
    const memory = await IndexStore.open({ uri: dir, embedder, log, memoryBudgetBytes: 2 ** 30 });
    await memory.whenLoaded();
    const lance = await IndexStore.open({ uri: dir, embedder, log });
    const db = await lancedb.connect(dir);
    const table = await db.openTable(TABLE_NAME);
    const own: Path = (query, filter) =>
      table
        .query()
        .fullTextSearch(new lancedb.MatchQuery(query, 'text'))
        .where(compileWhere(filter))
        .select([...HIT_COLUMNS, '_score'])
        .limit(K)
        .toArray() as Promise<Array<{ id: string }>>;
    const paths: Record<string, Path> = {
      memory: (q, f) => memory.fullTextSearch(q, f, K),
      lance: (q, f) => lance.fullTextSearch(q, f, K),
      'lance-own-top-k': own,
    };
    const rng = new Rng(11);
    const bands: Record<string, readonly [number, number]> = {
      'rare (rank 5k-20k)': [5000, 20_000],
      'mid (rank 200-1k)': [200, 1000],
      'common (rank 5-20)': [5, 20],
    };
    const sizes: Record<string, number> = {};
    for (let a = 0; a < ACCOUNTS; a++)
      sizes[`acct${a}`] = await memory.countRows(eq('account_id', `acct${a}`));
    process.stdout.write(`records ${n}; account sizes ${JSON.stringify(sizes)}\n`);
    process.stdout.write('band                 account  path              p50 ms   p99 ms  agree\n');
    for (const [band, [lo, hi]] of Object.entries(bands)) {
      for (const account of ['acct0', 'acct6']) {
        const filter = eq('account_id', account);
        const queries = Array.from({ length: perBand }, () => {
          const words = [wordOf(lo + rng.int(hi - lo))];
          if (rng.int(2) === 0) words.push(wordOf(lo + rng.int(hi - lo)));
          return [words.join(' '), filter] as const;
        });
        let agree = 0;
        for (const [q, f] of queries) {
          const [m, l] = await Promise.all([memory.fullTextSearch(q, f, K), lance.fullTextSearch(q, f, K)]);
          if (
            JSON.stringify(m.map((r) => [r.id, r._score])) === JSON.stringify(l.map((r) => [r.id, r._score]))
          )
            agree += 1;
        }
        for (const [name, path] of Object.entries(paths)) {
          await timed(path, queries.slice(0, 3)); // warm-up
          const ms = await timed(path, queries);
          const line = `${band.padEnd(20)} ${account.padEnd(8)} ${name.padEnd(16)} ${String(round(percentile(ms, 50))).padStart(7)}  ${String(round(percentile(ms, 99))).padStart(7)}`;
          process.stdout.write(`${line}  ${name === 'lance' ? `${agree}/${queries.length}` : ''}\n`);
        }
      }
    }
    table.close();
    db.close();
    await lance.close();
    await memory.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
