/**
 * The benchmark report: the JSON document with BENCHMARK.md's field names (plus how many queries each
 * bounded variant measured, the classes measured again after the single writes, and the server
 * measured alone), the human table per class, the lines of the later phases and the one-line summary
 * printed last.
 */
import { availableParallelism } from 'node:os';
import { K, type LatencyStats, type VariantStats } from './measure.js';
import type { ClassName } from './queries.js';
import type { Restart, ServerStats } from './server.js';
import type { WriteStats } from './writes.js';

export interface ClassResult {
  readonly name: ClassName;
  readonly matching_median: number;
  readonly planned: VariantStats;
  readonly baseline: VariantStats;
  readonly http: (LatencyStats & { readonly queries: number }) | null;
  /** Over HTTP in hybrid mode (user class only). */
  readonly http_hybrid: (LatencyStats & { readonly queries: number }) | null;
  /** The planned path again after the single writes, against ground truth that includes them. */
  readonly after_writes: VariantStats | null;
}

export interface Ingest {
  readonly records_per_s: number;
  readonly ready_after_load_s: number;
  readonly peak_rss_mb: number;
}

export interface Report {
  readonly records: number;
  readonly queries: number;
  readonly ingest: Ingest;
  readonly classes: readonly ClassResult[];
  /** The single writes after the load (null with `--writes 0`). */
  readonly writes: WriteStats | null;
  /** The server alone, in its own process (null with `--no-server`). */
  readonly server: ServerStats | null;
  /** The server alone started again on the same data (`--restarts`), in order. */
  readonly restarts: readonly Restart[];
}

export function reportJson({ records, queries, ingest, classes, writes, server, restarts }: Report) {
  return {
    records,
    queries,
    k: K,
    node: process.version,
    cpus: availableParallelism(),
    ingest,
    writes,
    server:
      server === null
        ? null
        : {
            ...server,
            http: { p50_ms: server.http.p50_ms, p99_ms: server.http.p99_ms },
            http_queries: server.http.queries,
          },
    server_restarts: restarts,
    classes: classes.map((c) => ({
      name: c.name,
      matching_median: c.matching_median,
      planned: pick(c.planned, true),
      baseline: pick(c.baseline, false),
      http: c.http === null ? null : { p50_ms: c.http.p50_ms, p99_ms: c.http.p99_ms },
      ...(c.http_hybrid === null
        ? {}
        : { http_hybrid: { p50_ms: c.http_hybrid.p50_ms, p99_ms: c.http_hybrid.p99_ms } }),
      after_writes: c.after_writes === null ? null : pick(c.after_writes, true),
      planned_queries: c.planned.queries,
      baseline_queries: c.baseline.queries,
      ...(c.http === null ? {} : { http_queries: c.http.queries }),
      ...(c.after_writes === null ? {} : { after_writes_queries: c.after_writes.queries }),
    })),
  };
}

function pick(v: VariantStats, withPlans: boolean) {
  const { p50_ms, p99_ms, recall_at_10, short, qps_8, plans, stages_ms } = v;
  return { p50_ms, p99_ms, recall_at_10, short, qps_8, ...(withPlans ? { plans } : {}), stages_ms };
}

const HEADER = [
  'class',
  'matching',
  'path',
  'queries',
  'p50 ms',
  'p99 ms',
  'recall@10',
  'short',
  'qps(8)',
  'plans',
  'stages (median ms)',
];
const fmt = (v: number, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : '–');
const plansText = (plans: Record<string, number>) =>
  Object.entries(plans)
    .map(([name, n]) => `${name}:${n}`)
    .join(' ');

/** One row per class and path, aligned. */
export function humanTable(classes: readonly ClassResult[]): string {
  const rows: string[][] = [HEADER];
  for (const c of classes) {
    const variant = (path: string, v: VariantStats): string[] => [
      path === 'planned' ? c.name : '',
      path === 'planned' ? String(c.matching_median) : '',
      path,
      String(v.queries),
      fmt(v.p50_ms),
      fmt(v.p99_ms),
      fmt(v.recall_at_10, 4),
      String(v.short),
      fmt(v.qps_8),
      plansText(v.plans),
      Object.entries(v.stages_ms)
        .map(([stage, ms]) => `${stage} ${fmt(ms, 2)}`)
        .join(', '),
    ];
    rows.push(variant('planned', c.planned), variant('baseline', c.baseline));
    if (c.after_writes !== null) rows.push(variant('after writes', c.after_writes));
    for (const [path, http] of [
      ['http', c.http],
      ['http hybrid', c.http_hybrid],
    ] as const) {
      if (http === null) continue;
      rows.push(['', '', path, String(http.queries), fmt(http.p50_ms), fmt(http.p99_ms), '', '', '', '']);
    }
  }
  const widths = HEADER.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** The results of the phases after the class table: the single writes and the server alone. */
export function laterPhases(
  records: number,
  writes: WriteStats | null,
  server: ServerStats | null,
  restarts: readonly Restart[] = [],
): string {
  const lines = [
    `records/s excludes embedding and corpus generation; peak RSS is the benchmark's whole process, ` +
      `which also holds the corpus plan and ground truth`,
  ];
  if (writes !== null) {
    lines.push(
      `single writes: ${writes.records} records, one store.upsert each: ${fmt(writes.records_per_s)} records/s, ` +
        `p50 ${fmt(writes.p50_ms, 2)} ms, p99 ${fmt(writes.p99_ms, 2)} ms ('after writes' rows: measured after them)`,
    );
  }
  if (server !== null) {
    lines.push(
      `server alone (own process, ${records + (writes?.records ?? 0)} records, mirror ${server.mirror} with ` +
        `${server.records} records, ${server.mirror_mb} MB): listening ${fmt(server.listening_s, 2)} s, ` +
        (server.first_write_s === null
          ? ''
          : `a write sent then accepted ${fmt(server.first_write_s, 2)} s later ` +
            `(${server.first_write_refusals} refused first, mirror ${server.first_write_mirror}), `) +
        `ready ${fmt(server.startup_s, 2)} s after spawn; RSS ${server.rss_mb} MB when ready, ` +
        `${server.rss_after_queries_mb} MB after ${server.http.queries} user HTTP queries ` +
        `(p50 ${fmt(server.http.p50_ms, 2)} ms, p99 ${fmt(server.http.p99_ms, 2)} ms), peak ${server.peak_rss_mb} MB`,
    );
  }
  if (restarts.length > 0) {
    const each = (pick: (r: Restart) => string) => restarts.map(pick).join(', ');
    const worst = Math.max(...restarts.map((r) => r.first_write_s ?? Infinity));
    lines.push(
      `server restarted ${restarts.length} times on the same data: a write sent at listening accepted after ` +
        `${each((r) => `${fmt(r.first_write_s ?? NaN, 2)} s`)} (worst ${fmt(worst, 2)} s; ` +
        `${restarts.reduce((n, r) => n + r.first_write_refusals, 0)} refused); ` +
        `listening after ${each((r) => `${fmt(r.listening_s, 2)} s`)}; ` +
        `ready after ${each((r) => `${fmt(r.startup_s, 2)} s`)}; RSS when ready ${each((r) => `${r.rss_mb} MB`)}`,
    );
  }
  return lines.join('\n');
}

/** `search bench: records=N user p50=… ms recall=… | root p50=… ms | … | speedup vs baseline (user p50) …×` */
export function summaryLine(records: number, classes: readonly ClassResult[]): string {
  const user = classes.find((c) => c.name === 'user');
  const parts = classes
    .filter((c) => c.name !== 'user')
    .map((c) => `${c.name} p50=${fmt(c.planned.p50_ms)} ms`);
  const head =
    user === undefined
      ? `search bench: records=${records}`
      : `search bench: records=${records} user p50=${fmt(user.planned.p50_ms)} ms recall=${fmt(user.planned.recall_at_10, 3)}`;
  const speedup = user === undefined ? NaN : user.baseline.p50_ms / user.planned.p50_ms;
  return [head, ...parts, `speedup vs baseline (user p50) ${fmt(speedup)}×`].join(' | ');
}
