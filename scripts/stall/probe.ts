/**
 * The victim's side: another tenant sending `/health` and a small search, one after the other on
 * fresh connections, while an attack runs; and the figures of those waits.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { send, type Tenant } from './http.js';

/** Pause between two probes, so the probe itself is a light load. */
const PROBE_GAP_MS = 20;
/** A probe not answered within this is counted as a failure (and as its full wait). */
const PROBE_DEADLINE_MS = 60_000;

export interface ProbeStats {
  readonly count: number;
  /** Probes without a 2xx answer (errors, deadline, 4xx/5xx). */
  readonly failed: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly longestMs: number;
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

/** Probes until `done` resolves (at least one round). */
export async function probeUntil(base: string, victim: Tenant, done: Promise<unknown>): Promise<ProbeStats> {
  let finished = false;
  void done.finally(() => (finished = true));
  const waits: number[] = [];
  let failed = 0;
  do {
    for (const [method, path, body] of [
      ['GET', '/health', undefined],
      ['POST', '/api/v1/search/find', { query: 'release notes', limit: 3 }],
    ] as const) {
      const answer = await send(base, victim, method, path, body, PROBE_DEADLINE_MS);
      waits.push(answer.ms);
      if (answer.status < 200 || answer.status >= 300) failed++;
      await sleep(PROBE_GAP_MS);
    }
  } while (!finished);
  return statsOf(waits, failed);
}
