/**
 * The bulk indexer's final report: counts, throughput and every skipped or failed document grouped
 * by reason, as text for people or as one JSON object (`--json`) for scripts and tests.
 */
import type { Issue, Tally } from './run.js';

export interface Summary {
  readonly total: number;
  readonly written: number;
  readonly already_done: number;
  readonly skipped: number;
  readonly failed: number;
  readonly interrupted: boolean;
  readonly seconds: number;
  readonly bytes: number;
  /** Writes refused by backpressure and retried (the import slowed down to the indexer's pace). */
  readonly throttled: number;
  readonly records_before: number;
  readonly records_after: number;
  readonly documents_per_second: number;
  readonly bytes_per_second: number;
  readonly records_per_second: number;
  /** Indexing jobs that failed in the pipeline during the run. */
  readonly failed_index_jobs: number;
  readonly checkpoint: string;
  readonly issues: readonly Issue[];
}

export interface Measures {
  readonly seconds: number;
  readonly recordsBefore: number;
  readonly recordsAfter: number;
  readonly failedIndexJobs: number;
  readonly checkpoint: string;
}

const rate = (n: number, seconds: number) => Math.round((n / Math.max(seconds, 1e-3)) * 10) / 10;

export function summarize(t: Tally, m: Measures): Summary {
  return {
    total: t.total,
    written: t.written,
    already_done: t.resumed,
    skipped: t.skipped.length,
    failed: t.failed.length,
    interrupted: t.interrupted,
    seconds: Math.round(m.seconds * 1000) / 1000,
    bytes: t.bytes,
    throttled: t.throttled,
    records_before: m.recordsBefore,
    records_after: m.recordsAfter,
    documents_per_second: rate(t.written, m.seconds),
    bytes_per_second: rate(t.bytes, m.seconds),
    records_per_second: rate(m.recordsAfter - m.recordsBefore, m.seconds),
    failed_index_jobs: m.failedIndexJobs,
    checkpoint: m.checkpoint,
    issues: [...t.skipped, ...t.failed],
  };
}

function humanBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

const SHOWN_PER_REASON = 20;

function issueLines(issues: readonly Issue[]): string[] {
  const byReason = new Map<string, Issue[]>();
  for (const i of issues) byReason.set(i.reason, [...(byReason.get(i.reason) ?? []), i]);
  const lines: string[] = [];
  for (const [reason, list] of [...byReason].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`  ${reason} (${list.length}):`);
    for (const i of list.slice(0, SHOWN_PER_REASON)) lines.push(`    ${i.key}: ${i.message}`);
    if (list.length > SHOWN_PER_REASON) lines.push(`    … and ${list.length - SHOWN_PER_REASON} more`);
  }
  return lines;
}

/** The report for people. */
export function formatSummary(s: Summary): string {
  const head = s.interrupted ? 'interrupted' : 'done';
  const lines = [
    `bulk-index ${head}: ${s.written} written, ${s.already_done} already done, ${s.skipped} skipped, ` +
      `${s.failed} failed of ${s.total} documents in ${s.seconds.toFixed(1)} s`,
    `throughput: ${s.documents_per_second} documents/s, ${humanBytes(s.bytes_per_second)}/s, ` +
      `${s.records_per_second} records/s (index records ${s.records_before} -> ${s.records_after})`,
  ];
  if (s.throttled > 0)
    lines.push(
      `slowed down: ${s.throttled} write(s) waited for the indexer to catch up (RESOURCE_EXHAUSTED)`,
    );
  if (s.failed_index_jobs > 0)
    lines.push(`warning: ${s.failed_index_jobs} index job(s) failed (see the log)`);
  if (s.issues.length > 0) lines.push('not written:', ...issueLines(s.issues));
  if (s.interrupted) lines.push(`re-run the same command to resume (checkpoint ${s.checkpoint})`);
  return `${lines.join('\n')}\n`;
}
