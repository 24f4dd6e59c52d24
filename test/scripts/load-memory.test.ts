/**
 * The load script's memory report: the RSS trend is taken after warm-up only, and with overwritten
 * files only each file's last write is expected to be findable; a server in distributed mode (no
 * LanceDB cache figure) is sampled too.
 */
import { afterWarmup, memoryStatusOf, type MemorySample } from '../../scripts/load/memory.js';
import { latestPerFile, type Acked } from '../../scripts/load/mixed.js';

const sample = (t_s: number, rss_mb: number, mirror_mb = 10): MemorySample => ({
  t_s,
  rss_mb,
  heap_used_mb: 50,
  heap_total_mb: 80,
  external_mb: 5,
  array_buffers_mb: 1,
  mirror_mb,
  mirror_records: 100,
  lancedb_cache_mb: 2,
  rss_minus_mirror_mb: rss_mb - mirror_mb,
});

describe('afterWarmup', () => {
  test('the growth during warm-up is not in the trend', () => {
    const samples = [sample(0, 200), sample(10, 300), sample(20, 310), sample(30, 305), sample(40, 310)];
    expect(afterWarmup(samples, 20)).toEqual({
      warmup_s: 20,
      rss_at_warmup_mb: 310,
      rss_max_after_warmup_mb: 310,
      rss_last_mb: 310,
      rss_slope_mb_per_min: 0,
      rss_minus_mirror_slope_mb_per_min: 0,
      heap_used_slope_mb_per_min: 0,
    });
  });

  test('steady growth shows as MiB per minute, and the index share can be told apart', () => {
    const samples = [0, 30, 60, 90].map((t) => sample(t, 300 + t, 10 + t));
    expect(afterWarmup(samples, 0)).toMatchObject({
      rss_slope_mb_per_min: 60,
      rss_minus_mirror_slope_mb_per_min: 0,
    });
    expect(afterWarmup(samples, 100)).toEqual({});
  });
});

test('latestPerFile keeps the last write of each file', () => {
  const identity = { key: 'k', account: 'load-ff', user: 'u1', agent: 'bot' };
  const write = (uri: string, token: string): Acked => ({
    identity,
    folder: 'viking://resources/load/w0',
    uri,
    token,
    at: 0,
  });
  const a1 = write('viking://resources/load/w0/f0.md', 'a1');
  const b1 = write('viking://resources/load/w0/f1.md', 'b1');
  const a2 = write('viking://resources/load/w0/f0.md', 'a2');
  expect(latestPerFile([a1, b1, a2])).toEqual([a2, b1]);
});

test('a distributed-mode status (no LanceDB cache figure) is sampled, its cache counted as 0', () => {
  const processMemory = { heap_used_mb: 50, heap_total_mb: 80, external_mb: 5, array_buffers_mb: 1 };
  const pg = {
    process_memory: processMemory,
    search_memory: { memory_mb: 14, records: 2089, reflects_seq: 7 },
  };
  expect(memoryStatusOf({ result: pg }).search_memory).toMatchObject({ memory_mb: 14, lancedb_cache_mb: 0 });
  const local = {
    process_memory: processMemory,
    search_memory: { memory_mb: 14, records: 9, lancedb_cache_mb: 3 },
  };
  expect(memoryStatusOf({ result: local }).search_memory.lancedb_cache_mb).toBe(3);
});
