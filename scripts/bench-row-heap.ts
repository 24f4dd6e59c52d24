/**
 * What filling the in-memory index costs the JS heap and the process (issue 22, rows as columns):
 * N records (default 200,000; 384 dimensions, 40 words from a 50,000-word vocabulary, 256-character
 * abstracts, 1,000 accounts) committed 1,000 a batch into one `MemoryIndex`, then the fill's CPU
 * and wall time, the garbage collector's pauses, V8 heap used, array buffers, RSS and the index's
 * counted bytes per record.
 *
 *   node --expose-gc --import ./test/helpers/ts-register.mjs scripts/bench-row-heap.ts [N]
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { MemoryIndex, type MemoryRow } from '../src/index/memory/index.js';
import { fileRecords } from '../src/indexing/records.js';
import { DEFAULT_POLICY } from '../src/policy/index.js';
import { MIB, times } from './lib/memory-probe.js';

const DIMENSION = 384;

function batch(from: number): { rows: MemoryRow[]; vectors: Float32Array[]; texts: string[] } {
  const rows: MemoryRow[] = [];
  const vectors: Float32Array[] = [];
  const texts: string[] = [];
  for (let n = from; n < from + 1000; n++) {
    const words = Array.from({ length: 40 }, (_, w) => `w${(n * 7 + w * 13) % 50_000}`).join(' ');
    const uri = `viking://resources/docs/d${n % 97}/f${n}.md`;
    const draft = fileRecords(`tenant${n % 1000}`, uri, 'x', DEFAULT_POLICY, times)[0] as MemoryRow;
    rows.push({ ...draft, abstract: `${words} ${n}`.slice(0, 256) });
    texts.push(words);
    const vector = new Float32Array(DIMENSION);
    vector[n % DIMENSION] = 1;
    vector[(n * 7) % DIMENSION] = (vector[(n * 7) % DIMENSION] ?? 0) + 0.5;
    vectors.push(vector);
  }
  return { rows, vectors, texts };
}

async function main(): Promise<void> {
  const records = Number(process.argv[2] ?? 200_000);
  let gcMs = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcMs += entry.duration;
  }).observe({ entryTypes: ['gc'] });
  const index = await MemoryIndex.create(DIMENSION, 3072 * MIB);
  const started = performance.now();
  const cpu = process.cpuUsage();
  for (let from = 0; from < records; from += 1000) {
    const { rows, vectors, texts } = batch(from);
    index.commit(index.prepare(rows, vectors, texts));
  }
  const used = process.cpuUsage(cpu);
  const wall = performance.now() - started;
  // GC entries reach the observer on a later turn.
  await new Promise((resolve) => setTimeout(resolve, 100));
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  const result = {
    records,
    fill_s: wall / 1000,
    cpu_s: (used.user + used.system) / 1e6,
    gc_pauses_s: gcMs / 1000,
    heap_used_mib: m.heapUsed / MIB,
    array_buffers_mib: m.arrayBuffers / MIB,
    rss_mib: m.rss / MIB,
    counted_bytes_per_record: index.bytes / records,
  };
  await index.close();
  console.log(
    JSON.stringify(
      Object.fromEntries(Object.entries(result).map(([k, v]) => [k, Math.round(v * 100) / 100])),
    ),
  );
}

await main();
