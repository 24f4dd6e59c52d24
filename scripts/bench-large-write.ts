/**
 * Issue 23 item 5, the main-thread blocks of a 9.5 MiB file write measured in one process (no server,
 * no LanceDB), each against its baseline in the same run, alternated:
 *  - the in-memory index's commit of the rewrite (12.4k chunks, same ids): one synchronous block
 *    (`commit`, main before the change) against the longest slice of `commitInSlices`, and its
 *    longest single step (a turn after every one: the switch is one of them);
 *  - the file's records: all at once (`fileRecords`) against the longest slice of
 *    `fileRecordsInSlices` (whose first slice also cuts the whole text into passages);
 *  - the JSON body: `toString` + `JSON.parse` on the event loop (what main does), the figure that
 *    decided to parse bodies from 1 MiB in a worker (src/http/json-parse.ts);
 *  - the LanceDB write of the file's records (a real table in a temporary folder; append, then the
 *    rewrite's merge by id): LanceDB's public `add` / `mergeInsert` of the Arrow table (main: one
 *    synchronous serialisation) against `recordSink` (lance-ipc.ts: the IPC file built in slices),
 *    as the longest gap between two turns of the event loop while the write runs, and the RSS
 *    growth at its peak (sampled at every turn).
 *
 *   tsc -p scripts/tsconfig.build.json && node dist/scripts/bench-large-write.js [rounds] [--lance-only]
 */
import { performance } from 'node:perf_hooks';
import { loadavg, tmpdir } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as lancedb from '@lancedb/lancedb';
import { Table as ArrowTable } from 'apache-arrow';
import { recordBatches, recordSchema } from '../src/index/arrow.js';
import { recordSink } from '../src/index/table-write.js';
import { DEFAULT_POLICY } from '../src/policy/index.js';
import { MemoryIndex, type MemoryRow, type Prepared } from '../src/index/memory/index.js';
import { fileRecords, fileRecordsInSlices, DEFAULT_CHUNKING } from '../src/indexing/records.js';
import { DIMENSION, MIB, times, vector } from './lib/memory-probe.js';

const URI = 'viking://resources/stall/large/big.md';
/** The stall benchmark's file (scripts/stall/large-file.ts). */
function bigText(seed: string): string {
  const line = `${seed} the quick brown fox jumps over the lazy dog near the riverbank at dawn\n`;
  return line.repeat(Math.floor((9.5 * MIB) / Buffer.byteLength(line)));
}

/**
 * Times each step between two pauses; the longest is the longest block of the event loop. Also the
 * process's CPU time per step: on a shared machine a step's wall time includes the time the OS gave
 * other processes, its CPU time does not (GC helper threads are counted in it).
 */
class Slices {
  longest = 0;
  longestCpu = 0;
  /** Each step's (or slice's) time, in order. */
  readonly steps: number[] = [];
  private at = performance.now();
  private cpuAt = process.cpuUsage();
  readonly pause = (): Promise<void> => {
    this.steps.push(performance.now() - this.at);
    this.longest = Math.max(this.longest, performance.now() - this.at);
    const cpu = process.cpuUsage(this.cpuAt);
    this.longestCpu = Math.max(this.longestCpu, (cpu.user + cpu.system) / 1000);
    return new Promise((resolve) =>
      setImmediate(() => {
        this.at = performance.now();
        this.cpuAt = process.cpuUsage();
        resolve();
      }),
    );
  };
  end(): number {
    return Math.max(this.longest, performance.now() - this.at);
  }
}

function prepared(index: MemoryIndex, seed: string): Prepared[] {
  const drafts = fileRecords('acme', URI, bigText(seed), DEFAULT_POLICY, times);
  const out: Prepared[] = [];
  for (let from = 0; from < drafts.length; from += 64) {
    const part = drafts.slice(from, from + 64);
    const rows: MemoryRow[] = part.map(({ text: _t, ...row }) => row);
    out.push(
      index.prepare(
        rows,
        part.map((_, i) => vector(from + i)),
        part.map((d) => d.text),
      ),
    );
  }
  return out;
}

/**
 * `sliceMs` 0: a turn after every step, so the longest is the longest single step; the switch runs
 * in the step after the last record's placing (with it and the first removal), recorded as `switch`.
 */
async function commitBlocks(sliced: boolean, sliceMs?: number): Promise<number> {
  const index = await MemoryIndex.create(DIMENSION, 2048 * MIB);
  index.commit(...prepared(index, 'alpha'));
  const batches = prepared(index, 'bravo');
  let longest: number;
  if (sliced) {
    const slices = new Slices();
    await index.commitInSlices(batches, {
      pause: slices.pause,
      ...(sliceMs === undefined ? {} : { sliceMs }),
    });
    longest = slices.end();
    const records = batches.reduce((n, b) => n + b.ids.length, 0);
    if (sliceMs === 0) {
      // The switch runs in the step the removals' first pause ends (every record replaced one).
      add("commit: the switch's step", slices.steps[slices.steps.length - (2 * records - 1)] ?? NaN);
      add('commit: longest step, CPU ms (a turn after every step)', slices.longestCpu);
    }
  } else {
    const t = performance.now();
    index.commit(...batches);
    longest = performance.now() - t;
  }
  await index.close();
  return longest;
}

async function draftBlocks(sliced: boolean): Promise<number> {
  const text = bigText('alpha');
  if (!sliced) {
    const t = performance.now();
    fileRecords('acme', URI, text, DEFAULT_POLICY, times);
    return performance.now() - t;
  }
  const slices = new Slices();
  await fileRecordsInSlices('acme', URI, text, DEFAULT_POLICY, times, DEFAULT_CHUNKING, {
    pause: slices.pause,
  });
  return slices.end();
}

function jsonBlock(): number {
  const raw = Buffer.from(JSON.stringify({ uri: URI, content: bigText('alpha'), wait: true }));
  const t = performance.now();
  JSON.parse(raw.toString('utf8'));
  return performance.now() - t;
}

/** The longest gap between two turns of the event loop, and the RSS peak over `rss0`, while `run` runs. */
async function turnGaps(run: () => Promise<unknown>): Promise<{ gap: number; rss: number }> {
  const rss0 = process.memoryUsage().rss;
  let gap = 0;
  let peak = rss0;
  let at = performance.now();
  let running = true;
  const tick = () => {
    const now = performance.now();
    gap = Math.max(gap, now - at);
    at = now;
    peak = Math.max(peak, process.memoryUsage().rss);
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  await run().finally(() => (running = false));
  gap = Math.max(gap, performance.now() - at);
  return { gap, rss: (peak - rss0) / MIB };
}

/** The file's records (vectors included) written then rewritten to a fresh LanceDB table. */
async function lanceWrites(ours: boolean): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vs-bench-write-'));
  const db = await lancedb.connect(dir);
  const schema = recordSchema('bench', DIMENSION);
  const table = await db.createEmptyTable('records', schema);
  await table.createIndex('id', { config: lancedb.Index.btree() });
  const label = ours ? 'sliced IPC (lance-ipc.ts)' : "LanceDB's add/merge (main)";
  try {
    for (const seed of ['alpha', 'bravo']) {
      const drafts = fileRecords('acme', URI, bigText(seed), DEFAULT_POLICY, times);
      const records = drafts.map((d, i) => ({ ...d, vector: vector(i) }));
      const sink = recordSink(table, schema, DIMENSION);
      // main built its Arrow table in turns before the write: built here outside the measured write.
      const built = ours ? null : new ArrowTable([...recordBatches(schema, records, DIMENSION)]);
      const arrow = () => built as ArrowTable;
      const write =
        seed === 'alpha'
          ? ours
            ? async () => sink.append(await sink.file(records))
            : () => table.add(arrow())
          : ours
            ? async () => sink.mergeById(await sink.file(records))
            : () => table.mergeInsert('id').whenMatchedUpdateAll().whenNotMatchedInsertAll().execute(arrow());
      const { gap, rss } = await turnGaps(write);
      const what = seed === 'alpha' ? 'append' : 'merge (rewrite)';
      add(`lance ${what}, ${label}: longest turn`, gap);
      add(`lance ${what}, ${label}: RSS peak growth MB`, rss);
    }
  } finally {
    table.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

const rounds = Number(process.argv[2] ?? 3);
const figures: Record<string, number[]> = {};
const add = (name: string, ms: number) => (figures[name] ??= []).push(ms);
const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
console.log(`load before: ${load()}`);
const lanceOnly = process.argv.includes('--lance-only');
for (let r = 0; r < rounds; r++) {
  await lanceWrites(false);
  await lanceWrites(true);
  if (lanceOnly) continue;
  add('commit: one block (main)', await commitBlocks(false));
  add('commit: longest slice', await commitBlocks(true));
  add('commit: longest step (a turn after every step)', await commitBlocks(true, 0));
  add('records: all at once', await draftBlocks(false));
  add('records: longest slice', await draftBlocks(true));
  add('JSON body toString+parse on the event loop', jsonBlock());
}
for (const [name, ms] of Object.entries(figures))
  console.log(`${name}: median ${median(ms).toFixed(1)} (${ms.map((m) => m.toFixed(0)).join(', ')})`);
console.log(`load after: ${load()}`);
