/**
 * The server's memory during a load, sampled from outside: resident set from /proc and the breakdown
 * ROOT's system status reports (V8 heap, external and array buffers, the in-memory index's own
 * bytes and records). The in-memory index grows with the data by design; `rss_minus_mirror_mb` is
 * what is left when that share is taken out, the figure that must not grow with time.
 */
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import type { Api } from './client.js';
import type { LoadServer } from './server.js';
import type { World } from './world.js';

export interface MemorySample {
  /** Seconds since the series started. */
  readonly t_s: number;
  readonly rss_mb: number;
  readonly heap_used_mb: number;
  readonly heap_total_mb: number;
  readonly external_mb: number;
  readonly array_buffers_mb: number;
  /** The in-memory index's accounted bytes (vectors in WebAssembly memory, rows, postings). */
  readonly mirror_mb: number;
  readonly mirror_records: number;
  /** What LanceDB's index and metadata caches hold. */
  readonly lancedb_cache_mb: number;
  readonly rss_minus_mirror_mb: number;
}

const statusAnswer = z.object({
  result: z
    .object({
      process_memory: z.object({
        heap_used_mb: z.number(),
        heap_total_mb: z.number(),
        external_mb: z.number(),
        array_buffers_mb: z.number(),
      }),
      search_memory: z
        // No LanceDB in distributed mode: its cache figure is absent there.
        .object({ memory_mb: z.number(), records: z.number(), lancedb_cache_mb: z.number().default(0) })
        .loose(),
    })
    .loose(),
});

/** What a sample reads from ROOT's `GET /system/status` answer (either mode). */
export function memoryStatusOf(body: unknown): z.infer<typeof statusAnswer>['result'] {
  return statusAnswer.parse(body).result;
}

/** One sample; `t0` is the series' start (performance.now()). */
export async function sampleMemory(
  api: Api,
  world: World,
  server: LoadServer,
  t0: number,
): Promise<MemorySample> {
  const res = await api.call('check', world.root, 'GET', '/api/v1/system/status');
  const rss = await server.rssMb();
  const status = memoryStatusOf(res.body);
  const round = (value: number): number => Math.round(value * 10) / 10;
  return {
    t_s: round((performance.now() - t0) / 1000),
    rss_mb: round(rss),
    ...status.process_memory,
    mirror_mb: status.search_memory.memory_mb,
    mirror_records: status.search_memory.records,
    lancedb_cache_mb: status.search_memory.lancedb_cache_mb,
    rss_minus_mirror_mb: round(rss - status.search_memory.memory_mb),
  };
}

/** Samples every `intervalS` seconds until stopped. */
export class MemorySeries {
  readonly samples: MemorySample[] = [];
  private readonly t0 = performance.now();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly api: Api,
    private readonly world: World,
    private readonly server: LoadServer,
    intervalS: number,
  ) {
    this.timer = setInterval(() => void this.sample().catch(() => undefined), intervalS * 1000);
    // A load that fails part way must not be kept alive by its sampler.
    this.timer.unref();
  }

  async sample(): Promise<MemorySample> {
    const sample = await sampleMemory(this.api, this.world, this.server, this.t0);
    this.samples.push(sample);
    return sample;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/**
 * How RSS moved after warm-up: the sample at `warmupS`, the highest after it, and the growth from
 * that sample to the last, in MiB per minute (least squares over the samples after warm-up).
 */
export function afterWarmup(samples: readonly MemorySample[], warmupS: number): Record<string, number> {
  const after = samples.filter((s) => s.t_s >= warmupS);
  const first = after[0];
  const last = after.at(-1);
  if (first === undefined || last === undefined) return {};
  const slope = (pick: (s: MemorySample) => number): number => {
    const n = after.length;
    const mt = after.reduce((a, s) => a + s.t_s, 0) / n;
    const mv = after.reduce((a, s) => a + pick(s), 0) / n;
    const cov = after.reduce((a, s) => a + (s.t_s - mt) * (pick(s) - mv), 0);
    const vt = after.reduce((a, s) => a + (s.t_s - mt) ** 2, 0);
    return vt === 0 ? 0 : Math.round((cov / vt) * 60 * 10) / 10;
  };
  return {
    warmup_s: warmupS,
    rss_at_warmup_mb: first.rss_mb,
    rss_max_after_warmup_mb: Math.max(...after.map((s) => s.rss_mb)),
    rss_last_mb: last.rss_mb,
    rss_slope_mb_per_min: slope((s) => s.rss_mb),
    rss_minus_mirror_slope_mb_per_min: slope((s) => s.rss_minus_mirror_mb),
    heap_used_slope_mb_per_min: slope((s) => s.heap_used_mb),
  };
}

/** Before/after figures of a run: resident set, the in-memory index's share, and the rest. */
export function beforeAfter(before: MemorySample, after: MemorySample): Record<string, number> {
  const pct = (from: number, to: number): number => Math.round(((to - from) / from) * 1000) / 10;
  return {
    rss_before_mb: Math.round(before.rss_mb),
    rss_after_mb: Math.round(after.rss_mb),
    rss_growth_pct: pct(before.rss_mb, after.rss_mb),
    mirror_before_mb: before.mirror_mb,
    mirror_after_mb: after.mirror_mb,
    mirror_records_before: before.mirror_records,
    mirror_records_after: after.mirror_records,
    rss_minus_mirror_before_mb: Math.round(before.rss_minus_mirror_mb),
    rss_minus_mirror_after_mb: Math.round(after.rss_minus_mirror_mb),
    rss_minus_mirror_growth_pct: pct(before.rss_minus_mirror_mb, after.rss_minus_mirror_mb),
    heap_used_before_mb: before.heap_used_mb,
    heap_used_after_mb: after.heap_used_mb,
    external_after_mb: after.external_mb,
    lancedb_cache_after_mb: after.lancedb_cache_mb,
  };
}
