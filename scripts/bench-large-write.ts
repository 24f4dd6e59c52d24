/**
 * Issue 23 item 5, the main-thread blocks of a 9.5 MiB file write measured in one process (no server,
 * no LanceDB), each against its baseline in the same run, alternated:
 *  - the in-memory index's commit of the rewrite (12.4k chunks, same ids): one synchronous block
 *    (`commit`, main before the change) against the longest slice of `commitInSlices`, and its
 *    longest single step (a turn after every one: the switch is one of them);
 *  - the file's records: all at once (`fileRecords`) against the longest slice of
 *    `fileRecordsInSlices` (whose first slice also cuts the whole text into passages);
 *  - the JSON body: `toString` + `JSON.parse` on the event loop (what main does), the figure that
 *    decided to parse bodies from 1 MiB in a worker (src/http/json-parse.ts).
 *
 *   tsc -p scripts/tsconfig.build.json && node dist/scripts/bench-large-write.js [rounds]
 */
import { performance } from 'node:perf_hooks';
import { loadavg } from 'node:os';
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

/** Times each step between two pauses; the longest is the longest block of the event loop. */
class Slices {
  longest = 0;
  /** Each step's (or slice's) time, in order. */
  readonly steps: number[] = [];
  private at = performance.now();
  readonly pause = (): Promise<void> => {
    this.steps.push(performance.now() - this.at);
    this.longest = Math.max(this.longest, performance.now() - this.at);
    return new Promise((resolve) =>
      setImmediate(() => {
        this.at = performance.now();
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
    if (sliceMs === 0) add("commit: the switch's step", slices.steps[records - 1] ?? NaN);
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

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

const rounds = Number(process.argv[2] ?? 3);
const figures: Record<string, number[]> = {};
const add = (name: string, ms: number) => (figures[name] ??= []).push(ms);
const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
console.log(`load before: ${load()}`);
for (let r = 0; r < rounds; r++) {
  add('commit: one block (main)', await commitBlocks(false));
  add('commit: longest slice', await commitBlocks(true));
  add('commit: longest step (a turn after every step)', await commitBlocks(true, 0));
  add('records: all at once', await draftBlocks(false));
  add('records: longest slice', await draftBlocks(true));
  add('JSON body toString+parse on the event loop', jsonBlock());
}
for (const [name, ms] of Object.entries(figures))
  console.log(`${name}: median ${median(ms).toFixed(1)} ms (${ms.map((m) => m.toFixed(0)).join(', ')})`);
console.log(`load after: ${load()}`);
