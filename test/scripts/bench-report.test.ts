/**
 * The benchmark's report (scripts/bench/report.ts) with the phases of issue 10 that came last — the
 * classes measured again after the single writes, the write throughput, the server alone — and the
 * command line that turns them off.
 */
import { parseArgs } from '../../scripts/bench/args.js';
import type { VariantStats } from '../../scripts/bench/measure.js';
import { humanTable, laterPhases, reportJson, type ClassResult } from '../../scripts/bench/report.js';
import type { Restart, ServerStats } from '../../scripts/bench/server.js';
import type { WriteStats } from '../../scripts/bench/writes.js';

const stats = (p50_ms: number): VariantStats => ({
  p50_ms,
  p99_ms: p50_ms * 3,
  recall_at_10: 1,
  short: 0,
  qps_8: 100,
  plans: { memory: 20 },
  stages_ms: { score: p50_ms / 2 },
  queries: 20,
  matchingMismatches: 0,
});

const user = (after_writes: VariantStats | null): ClassResult => ({
  name: 'user',
  matching_median: 12_000,
  planned: stats(10),
  baseline: stats(150),
  http: { p50_ms: 12, p99_ms: 30, queries: 20 },
  http_hybrid: null,
  after_writes,
});

const writes: WriteStats = { records: 10_000, records_per_s: 40.5, p50_ms: 18, p99_ms: 140 };
const server: ServerStats = {
  records: 1_010_000,
  listening_s: 3.1,
  first_write_s: 0.04,
  first_write_refusals: 1,
  first_write_mirror: 'loading',
  startup_s: 61.2,
  mirror: 'ready',
  mirror_mb: 2100,
  rss_mb: 3000,
  rss_after_queries_mb: 3050,
  peak_rss_mb: 3300,
  http: { p50_ms: 11, p99_ms: 25, queries: 200 },
};
const ingest = { records_per_s: 10_000, ready_after_load_s: 20, peak_rss_mb: 4000 };
const restart = (first: number, refusals: number, ready: number, rss: number): Restart => ({
  listening_s: 1.1,
  first_write_s: first,
  first_write_refusals: refusals,
  first_write_mirror: 'loading',
  startup_s: ready,
  rss_mb: rss,
});
const restarts = [restart(0.18, 0, 3.4, 1250), restart(1.25, 2, 9.8, 1262)];

describe('reportJson', () => {
  test('carries the single writes, the classes after them and the server alone', () => {
    const report = reportJson({
      records: 1_000_000,
      queries: 20,
      ingest,
      classes: [user(stats(11))],
      writes,
      server,
      restarts,
    });
    expect(report.server_restarts).toEqual(restarts);
    expect(report.writes).toEqual({ records: 10_000, records_per_s: 40.5, p50_ms: 18, p99_ms: 140 });
    // The server's http latency is flattened like the classes': its query count beside it.
    const { http, ...figures } = server;
    expect(report.server).toEqual({
      ...figures,
      http: { p50_ms: http.p50_ms, p99_ms: http.p99_ms },
      http_queries: 200,
    });
    const [cls] = report.classes;
    expect(cls?.after_writes).toEqual({
      p50_ms: 11,
      p99_ms: 33,
      recall_at_10: 1,
      short: 0,
      qps_8: 100,
      plans: { memory: 20 },
      stages_ms: { score: 5.5 },
    });
    expect(cls?.after_writes_queries).toBe(20);
    // Survives JSON as written to --json.
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  test('is null where a phase was skipped (--writes 0, --no-server)', () => {
    const report = reportJson({
      records: 1_000,
      queries: 5,
      ingest,
      classes: [user(null)],
      writes: null,
      server: null,
      restarts: [],
    });
    expect(report.server_restarts).toEqual([]);
    expect(report.writes).toBeNull();
    expect(report.server).toBeNull();
    expect(report.classes[0]?.after_writes).toBeNull();
    expect(report.classes[0]).not.toHaveProperty('after_writes_queries');
  });
});

describe('stdout', () => {
  test('the table has an "after writes" row per class when measured', () => {
    expect(humanTable([user(stats(11))])).toMatch(/\n\s+after writes\s+20\s+11\.0\s+33\.0\s+1\.0000\s+0/);
    expect(humanTable([user(null)])).not.toMatch(/after writes/);
  });

  test('the later phases name the writes, the server records, startup and memory', () => {
    const text = laterPhases(1_000_000, writes, server);
    expect(text).toMatch(/single writes: 10000 records, one store\.upsert each: 40\.5 records\/s/);
    expect(text).toMatch(/server alone \(own process, 1010000 records, mirror ready with 1010000 records/);
    expect(text).toMatch(/ready 61\.20 s after spawn; RSS 3000 MB when ready, 3050 MB after 200 user/);
    expect(text).toMatch(
      /listening 3\.10 s, a write sent then accepted 0\.04 s later \(1 refused first, mirror loading\)/,
    );
    expect(text).toMatch(/peak 3300 MB/);
    expect(laterPhases(1_000, null, null)).not.toMatch(/single writes|server alone|restarted/);
    expect(text).not.toMatch(/restarted/);
  });

  test('the restarts give each start and the worst first write', () => {
    expect(laterPhases(1_000_000, null, server, restarts)).toMatch(
      'server restarted 2 times on the same data: a write sent at listening accepted after 0.18 s, ' +
        '1.25 s (worst 1.25 s; 2 refused); listening after 1.10 s, 1.10 s; ready after 3.40 s, 9.80 s; ' +
        'RSS when ready 1250 MB, 1262 MB',
    );
  });
});

describe('parseArgs', () => {
  test.each([
    [[], { writes: 10_000, server: true }],
    [['--writes', '0', '--no-server'], { writes: 0, server: false }],
    [['--writes=2_000'], { writes: 2_000, server: true }],
    [['--restarts', '3'], { restarts: 3, server: true }],
    [[], { restarts: 0 }],
  ])('%j', (argv, expected) => {
    expect(parseArgs(argv)).toMatchObject(expected);
  });

  test.each([['--writes', '-1'], ['--writes', 'x'], ['--writes']])('rejects %j', (...argv) => {
    expect(() => parseArgs(argv)).toThrow(/--writes needs an integer ≥ 0/);
  });

  test('rejects --restarts without the server alone', () => {
    expect(() => parseArgs(['--restarts', '2', '--no-server'])).toThrow(/--restarts needs the server alone/);
  });
});
