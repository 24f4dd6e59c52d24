/**
 * Latency, recall and throughput of one query path over one class's queries: warm-ups, then one query
 * in flight (p50/p99, recall@k, short answers, plan counts), then 8 in flight (QPS). Each phase has a
 * time budget so the slow paths at 1M records stay bounded; the number of queries measured is reported.
 */
import { performance } from 'node:perf_hooks';
import type { BenchQuery } from './queries.js';

export const K = 10;
const WARMUPS = 5;
const MIN_QUERIES = 10;
const IN_FLIGHT = 8;
const MIN_QPS_MS = 2_000;

export interface Answer {
  readonly uris: readonly string[];
  readonly plan: string;
  /** The matching count the plan reports (`explain.plan.matching`), if any. */
  readonly matching: number | null;
  /** The time of each stage of the vector query (`explain.plan.stages_ms`). */
  readonly stages_ms: Readonly<Record<string, number>>;
}
export type Runner = (q: BenchQuery) => Promise<Answer>;

export interface Budget {
  /** Stop starting sequential queries after this long (at least MIN_QUERIES run). */
  readonly latencyMs: number;
  /** QPS phase length cap; 0 skips the phase. */
  readonly qpsMs: number;
}

export interface LatencyStats {
  readonly p50_ms: number;
  readonly p99_ms: number;
}

export interface VariantStats extends LatencyStats {
  readonly recall_at_10: number;
  readonly short: number;
  readonly qps_8: number;
  readonly plans: Record<string, number>;
  /** Median time of each stage of the vector query, where the time goes. */
  readonly stages_ms: Record<string, number>;
  /** Queries measured with one in flight (fewer than the class has when the budget ran out). */
  readonly queries: number;
  /** Answers whose reported matching count differs from the ground truth's (not in the JSON). */
  readonly matchingMismatches: number;
}

/** Nearest-rank percentile. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export const round = (v: number, digits = 2): number => Number(v.toFixed(digits));

/** Recall of one answer against the exact top k, and whether it is short. */
export function score(
  answer: Answer,
  exact: readonly string[],
  matching: number,
): { recall: number; short: boolean } {
  const expected = Math.min(K, matching);
  if (expected === 0) return { recall: 1, short: false };
  const wanted = new Set(exact);
  const found = new Set(answer.uris.filter((u) => wanted.has(u))).size;
  return { recall: found / expected, short: answer.uris.length < expected };
}

/** Warm-ups, then queries one at a time until done or out of budget. */
export async function sequential(
  run: Runner,
  queries: readonly BenchQuery[],
  budgetMs: number,
  onAnswer: (q: BenchQuery, answer: Answer, ms: number) => void = () => undefined,
): Promise<{ samples: number[]; count: number }> {
  for (let i = 0; i < WARMUPS; i++) await run(queries[i % queries.length]!);
  const samples: number[] = [];
  const start = performance.now();
  for (const q of queries) {
    if (samples.length >= MIN_QUERIES && performance.now() - start > budgetMs) break;
    const t0 = performance.now();
    const answer = await run(q);
    const ms = performance.now() - t0;
    samples.push(ms);
    onAnswer(q, answer, ms);
  }
  return { samples, count: samples.length };
}

/** Queries per second with IN_FLIGHT queries at once, cycling over `queries`. */
export async function throughput(
  run: Runner,
  queries: readonly BenchQuery[],
  budgetMs: number,
): Promise<number> {
  if (budgetMs <= 0 || queries.length === 0) return NaN;
  let next = 0;
  let done = 0;
  const start = performance.now();
  const more = () => {
    const elapsed = performance.now() - start;
    return elapsed < budgetMs && (next < queries.length || elapsed < MIN_QPS_MS);
  };
  const worker = async () => {
    while (more()) {
      await run(queries[next++ % queries.length]!);
      done++;
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return done / ((performance.now() - start) / 1000);
}

/** The in-process measures of one variant on one class. */
export async function measureVariant(
  run: Runner,
  queries: readonly BenchQuery[],
  truth: (q: BenchQuery) => readonly string[],
  budget: Budget,
): Promise<VariantStats> {
  let recall = 0;
  let short = 0;
  let matchingMismatches = 0;
  const plans: Record<string, number> = {};
  const stages: Record<string, number[]> = {};
  const { samples, count } = await sequential(run, queries, budget.latencyMs, (q, answer) => {
    for (const [stage, ms] of Object.entries(answer.stages_ms)) (stages[stage] ??= []).push(ms);
    const s = score(answer, truth(q), q.matching);
    recall += s.recall;
    if (s.short) short++;
    plans[answer.plan] = (plans[answer.plan] ?? 0) + 1;
    if (answer.matching !== null && answer.matching !== q.matching) matchingMismatches++;
  });
  const qps = await throughput(run, queries.slice(0, count), budget.qpsMs);
  return {
    p50_ms: round(percentile(samples, 50)),
    p99_ms: round(percentile(samples, 99)),
    recall_at_10: round(recall / count, 4),
    short,
    qps_8: round(qps, 1),
    plans,
    stages_ms: Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, round(percentile(v, 50))])),
    queries: count,
    matchingMismatches,
  };
}

/** The progress line of one variant on one class (a matching count the plan disagrees on is a warning). */
export function variantLine(name: string, variant: string, v: VariantStats): string {
  const counts =
    v.matchingMismatches === 0
      ? ''
      : ` — WARNING: ${v.matchingMismatches} answers reported a matching count other than the ground truth's`;
  return `${name} ${variant}: p50 ${v.p50_ms} ms, recall ${v.recall_at_10}, ${v.queries} queries${counts}`;
}
