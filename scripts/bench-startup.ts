/**
 * Where the in-memory mirror's start-up goes (issue 22, "fast, writable start-up"), and so what a
 * persisted snapshot of it could save: each round loads a mirror from the records table (what a
 * server does at start), reads the same rows alone (LanceDB's share), and loads a mirror from those
 * rows already in memory (the best any snapshot of the rows could do: reading it would cost more
 * than nothing). The ratio table ÷ pre-read is the upper bound of a row snapshot's speed-up.
 *
 *   node --import ./test/helpers/ts-register.mjs scripts/bench-startup.ts [--records N] [--rounds R]
 *        [--table DIR]   (a LanceDB folder holding a `records` table, e.g. one bench-writes built)
 *        [--keep DIR]    (bulk-load the corpus into DIR, which is kept, e.g. for later `--table DIR` runs)
 *        [--write-snapshot DIR]  (only load a mirror from the table and write its snapshot to DIR)
 *        [--restore-from DIR]    (only restore a copy of the snapshot in DIR, in this fresh process)
 *
 * Each round also writes a snapshot of the mirror it loaded from the table and restores a new
 * mirror from that snapshot (what a restarted server does): the snapshot's write time, size and
 * restore time against the load from the table in the same round (`--snapshot-only`: just that).
 *
 * The restore's report adds the longest the event loop waited meanwhile and the RSS after it (run
 * node with --expose-gc to add the RSS after a full collection).
 *
 * Without `--table` it bulk-loads the benchmark corpus to N records (default 200,000) in a
 * temporary folder first.
 *
 * A restore measured after a load in the same process inherits that load's heap; `--write-snapshot`
 * then `--restore-from` (as often as wanted: a restore consumes its copy, not DIR) measure it as a
 * restarted server meets it.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { readdirSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import * as lancedb from '@lancedb/lancedb';
import { pino } from 'pino';
import type { ArrowBatch } from '../src/index/arrow-read.js';
import { Mirror } from '../src/index/mirror.js';
import { IndexStore, TABLE_NAME } from '../src/index/store.js';
import { MIRROR_COLUMNS } from '../src/index/table-reads.js';
import { buildBatch, makeLayout, planCorpus } from './bench/corpus.js';
import { DIM, Rng } from './bench/rng.js';

const log = pino({ level: 'silent' });

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(name);
  return at >= 0 ? (process.argv[at + 1] ?? fallback) : fallback;
}

/** Bulk-loads the benchmark corpus to `records` records at `uri`. */
async function build(uri: string, records: number): Promise<void> {
  const layout = makeLayout(42);
  const plan = planCorpus(layout, records, 42);
  const rng = new Rng(42 ^ 0xbec7);
  const store = await IndexStore.open({ uri, embedder: { id: 'bench:startup', dimension: DIM }, log });
  try {
    await store.bulkLoad(async () => {
      for (let from = 0; from < records; from += 10_000) {
        await store.upsert(
          buildBatch(layout, plan, rng, from, Math.min(records, from + 10_000), () => undefined),
        );
      }
    });
    await store.optimize();
  } finally {
    await store.close();
  }
}

/** Batches already in memory, handed out as a table query would. */
function replay(batches: readonly ArrowBatch[]): AsyncIterable<ArrowBatch> {
  return {
    [Symbol.asyncIterator]() {
      let at = 0;
      return {
        next: () =>
          Promise.resolve<IteratorResult<ArrowBatch, undefined>>(
            at < batches.length ? { value: batches[at++]!, done: false } : { value: undefined, done: true },
          ),
      };
    },
  };
}

interface Timing {
  readonly ms: number;
  /** CPU seconds of the process (all threads), less disturbed than the wall time by a busy machine. */
  readonly cpuS: number;
}

async function timed(fn: () => Promise<unknown>): Promise<Timing> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  await fn();
  const used = process.cpuUsage(cpu);
  return { ms: performance.now() - started, cpuS: (used.user + used.system) / 1e6 };
}

const newMirror = () =>
  new Mirror({ dimension: DIM, budgetBytes: 2 ** 32, threads: 0, vectorDir: tmpdir(), log });

/** Fills a mirror from `batches` (closed afterwards unless `keep`): its time and record count. */
async function load(
  batches: AsyncIterable<ArrowBatch>,
  keep = false,
): Promise<Timing & { records: number; mirror: Mirror; rss: number }> {
  const mirror = newMirror();
  mirror.starting();
  const timing = await timed(() => mirror.load(batches));
  const records = Number(mirror.describe()['records']);
  const rss = process.memoryUsage().rss;
  if (keep) mirror.markReady();
  else await mirror.close();
  return { ...timing, records, mirror, rss };
}

const KEY = { key: 'bench:startup', version: 1 };

/**
 * Writes a snapshot of a loaded mirror to `dir` (then closes it), and restores a new mirror from it
 * (the start that finds one): both timed, the snapshot's bytes, the restored record count.
 */
async function snapshotRound(mirror: Mirror, dir: string) {
  let bytes = 0;
  const write = await timed(() => mirror.snapshot(dir, KEY));
  const sizes: string[] = [];
  for (const name of readdirSync(dir)) {
    const size = statSync(join(dir, name)).size;
    bytes += size;
    sizes.push(`${name} ${(size / 2 ** 20).toFixed(1)} MiB`);
  }
  await mirror.close();
  collect();
  const { restored, ok, restore, blocked } = await watchedRestore(dir);
  const records = ok ? Number(restored.describe()['records']) : 0;
  const rss = process.memoryUsage().rss;
  collect();
  const rssAfterGc = process.memoryUsage().rss;
  await restored.close();
  return { write, restore, bytes, records, sizes: sizes.join(', '), blocked, rss, rssAfterGc };
}

/** Restores a new mirror from the snapshot in `dir` (consumed), timed, the event loop watched. */
async function watchedRestore(dir: string) {
  const restored = newMirror();
  restored.starting();
  let ok = false;
  const loop = watchLoop();
  const restore = await timed(async () => {
    ok = await restored.restore(dir, KEY);
    restored.markReady();
  });
  return { restored, ok, restore, blocked: await loop.stop() };
}

/** A full collection when the process runs with --expose-gc (else nothing). */
function collect(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/**
 * Watches the event loop while a restore runs: the longest gap between turns of a 10 ms timer (the
 * longest time a request would have waited) and perf_hooks' histogram of the loop's delay.
 */
function watchLoop(): { stop: () => Promise<{ longestMs: number; maxDelayMs: number; ticks: number }> } {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  let last = performance.now();
  let longest = 0;
  let ticks = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
    ticks++;
  }, 10);
  return {
    stop: async () => {
      // One more turn of the histogram's timer, so that it records a block that ended the restore.
      await new Promise((resolve) => setTimeout(resolve, 30));
      clearInterval(timer);
      histogram.disable();
      return { longestMs: longest, maxDelayMs: histogram.max / 1e6, ticks };
    },
  };
}

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
const hasGc = typeof (globalThis as { gc?: unknown }).gc === 'function';
const show = (t: Timing) => `${(t.ms / 1000).toFixed(1)} s (CPU ${t.cpuS.toFixed(1)} s)`;

/** `--restore-from`: restores a copy of the snapshot in `from`, in this process alone. */
async function restoreAlone(from: string): Promise<void> {
  const copy = join(tmpdir(), `vs-startup-restore-${process.pid}`);
  await cp(from, copy, { recursive: true });
  collect();
  const rssBefore = process.memoryUsage().rss;
  const { restored, ok, restore, blocked } = await watchedRestore(copy);
  const rss = process.memoryUsage().rss;
  collect();
  const after = process.memoryUsage();
  process.stdout.write(
    `restore alone (load average ${loadavg()[0]?.toFixed(1)}): ${ok ? Number(restored.describe()['records']) : 'refused, 0'} ` +
      `records in ${show(restore)}; longest gap between 10 ms timer turns ${blocked.longestMs.toFixed(0)} ms ` +
      `(${blocked.ticks} turns, loop delay max ${blocked.maxDelayMs.toFixed(0)} ms); RSS ${mib(rssBefore)} MiB before, ` +
      `${mib(rss)} MiB after, ${mib(after.rss)} MiB after a full GC${hasGc ? '' : ' (not exposed: run with --expose-gc)'} ` +
      `(V8 heap used ${mib(after.heapUsed)} MiB)\n`,
  );
  await restored.close();
  await rm(copy, { recursive: true, force: true });
}

async function main(): Promise<void> {
  const restoreFrom = option('--restore-from', '');
  if (restoreFrom !== '') return restoreAlone(restoreFrom);
  const writeTo = option('--write-snapshot', '');
  const rounds = Number(option('--rounds', '2'));
  const given = option('--table', '');
  const keep = option('--keep', '');
  const dir = given === '' && keep === '' ? await mkdtemp(join(tmpdir(), 'vs-startup-')) : null;
  const uri = given !== '' ? given : keep !== '' ? keep : join(dir!, 'store');
  try {
    if (given === '') await build(uri, Number(option('--records', '200000')));
    const db = await lancedb.connect(uri);
    const table = await db.openTable(TABLE_NAME);
    const rows = () => table.query().select(MIRROR_COLUMNS) as AsyncIterable<ArrowBatch>;
    if (writeTo !== '') {
      const { mirror } = await load(rows(), true);
      await rm(writeTo, { recursive: true, force: true });
      const write = await timed(() => mirror.snapshot(writeTo, KEY));
      process.stdout.write(
        `snapshot of ${Number(mirror.describe()['records'])} records written to ${writeTo} in ${show(write)}\n`,
      );
      await mirror.close();
    }
    const snapshotDir = join(dir ?? tmpdir(), `vs-startup-snapshot-${process.pid}`);
    for (let round = 1; round <= (writeTo === '' ? rounds : 0); round++) {
      const fromTable = await load(rows(), true);
      const snap = await snapshotRound(fromTable.mirror, snapshotDir);
      process.stdout.write(
        `round ${round}, ${fromTable.records} records (load average ${loadavg()[0]?.toFixed(1)}): ` +
          `mirror from the table ${show(fromTable)}; snapshot written ${show(snap.write)}, ` +
          `${(snap.bytes / 2 ** 20).toFixed(0)} MiB (${snap.sizes}); restored from it ${show(snap.restore)}, ` +
          `${snap.records} records; table ÷ restore ${(fromTable.ms / snap.restore.ms).toFixed(1)}× wall, ` +
          `${(fromTable.cpuS / snap.restore.cpuS).toFixed(1)}× CPU; during the restore the longest gap ` +
          `between 10 ms timer turns ${snap.blocked.longestMs.toFixed(0)} ms (${snap.blocked.ticks} turns, ` +
          `loop delay max ${snap.blocked.maxDelayMs.toFixed(0)} ms); RSS after the restore ${mib(snap.rss)} MiB, ` +
          `${mib(snap.rssAfterGc)} MiB after a full GC${hasGc ? '' : ' (not exposed: run with --expose-gc)'}; ` +
          `RSS after the load from the table ${mib(fromTable.rss)} MiB\n`,
      );
      if (process.argv.includes('--snapshot-only')) continue;
      const batches: ArrowBatch[] = [];
      const read = await timed(async () => {
        for await (const batch of rows()) batches.push(batch);
      });
      const fromMemory = await load(replay(batches));
      const ratio = (a: number, b: number) => (a / b).toFixed(2);
      process.stdout.write(
        `round ${round}, ${fromTable.records} records: mirror from the table ${show(fromTable)}; ` +
          `LanceDB read alone ${show(read)}; mirror from rows in memory ${show(fromMemory)}; ` +
          `table ÷ memory ${ratio(fromTable.ms, fromMemory.ms)}× wall, ${ratio(fromTable.cpuS, fromMemory.cpuS)}× CPU\n`,
      );
    }
    table.close();
    db.close();
  } finally {
    if (dir !== null) await rm(dir, { recursive: true, force: true });
  }
}

await main();
