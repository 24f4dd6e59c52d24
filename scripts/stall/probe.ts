/**
 * The victim's side: another tenant sending `/health` and a small search, alternately, each on a
 * fresh connection, while an attack runs; and the figures of those waits. Probes start on a fixed
 * schedule whether or not the ones before were answered (an open loop): a probe that waits behind a
 * blocked event loop does not hold back the next ones, so a 500 ms stall counts as the ~30 probes
 * that met it, not as one (with one probe at a time, p99 was the longest wait whenever a run took
 * fewer than 100 probes).
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { send, type Answer, type Tenant } from './http.js';

/** A probe starts every this many ms (fresh connection each). */
export const PROBE_EVERY_MS = 15;
/** A probe not answered within this is counted as a failure (and as its full wait). */
const PROBE_DEADLINE_MS = 60_000;

export interface ProbeStats {
  readonly count: number;
  /** Probes without a 2xx answer (errors, deadline, 4xx/5xx). */
  readonly failed: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly longestMs: number;
  /** The same figures for `/health` alone and for the search alone. */
  readonly byKind?: { readonly health: ProbeStats; readonly search: ProbeStats };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

export function statsOf(waits: readonly number[], failed: number): ProbeStats {
  const sorted = [...waits].sort((a, b) => a - b);
  return {
    count: sorted.length,
    failed,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    longestMs: sorted[sorted.length - 1] ?? 0,
  };
}

function probeOnce(base: string, victim: Tenant, n: number): Promise<Answer> {
  return n % 2 === 0
    ? send(base, victim, 'GET', '/health', undefined, PROBE_DEADLINE_MS)
    : send(
        base,
        victim,
        'POST',
        '/api/v1/search/find',
        { query: 'release notes', limit: 3 },
        PROBE_DEADLINE_MS,
      );
}

/**
 * Starts a probe every {@link PROBE_EVERY_MS} until `done` resolves (at least one), then waits for
 * the ones in flight. The schedule is kept against the clock, so a late timer (this process busy)
 * starts the probes it owes at once rather than skipping them.
 */
export async function probeUntil(base: string, victim: Tenant, done: Promise<unknown>): Promise<ProbeStats> {
  let finished = false;
  void done.finally(() => (finished = true));
  const answers: Array<Promise<Answer>> = [];
  const started = performance.now();
  do {
    answers.push(probeOnce(base, victim, answers.length));
    const next = started + answers.length * PROBE_EVERY_MS;
    await sleep(Math.max(0, next - performance.now()));
  } while (!finished);
  const settled = await Promise.all(answers);
  const of = (kind: number) => figures(settled.filter((_, i) => i % 2 === kind));
  return { ...figures(settled), byKind: { health: of(0), search: of(1) } };
}

function figures(answers: readonly Answer[]): ProbeStats {
  const failed = answers.filter((a) => a.status < 200 || a.status >= 300).length;
  return statsOf(
    answers.map((a) => a.ms),
    failed,
  );
}
