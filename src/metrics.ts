/**
 * Prometheus metrics (issue 11), served at `GET /metrics`. One `Metrics` owns its own prom-client
 * Registry — never the global default one — so several apps built in one process (tests) do not
 * share or clash over metrics. Counters are incremented where things happen (HTTP middleware, search
 * admission, search callbacks); gauges are read from their sources at scrape time.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { z } from 'zod';
import type { Logger } from './log.js';
import type { AdmissionStats } from './search/admission.js';

/**
 * What the indexing pipeline reports (`IndexPipeline.status()`), read leniently: a field that is
 * missing or not a finite number leaves its metric untouched.
 */
const reading = z.number().finite().optional().catch(undefined);
const IndexStatus = z.object({
  queue_depth: reading,
  index_lag_s: reading,
  failed_jobs: reading,
  records: reading,
  /** 1 while a storage fault pauses indexing (the status has its reason), else 0. */
  indexing_paused: z
    .unknown()
    .transform((paused) => (paused === undefined ? undefined : paused === null ? 0 : 1))
    .optional(),
});
type IndexStatus = z.infer<typeof IndexStatus>;

export interface MetricsSources {
  /** The pipeline's status, asked once per scrape. */
  readonly indexStatus?: () => Promise<object>;
  /** Searches running and waiting in the admission queue. */
  readonly searchLoad?: () => AdmissionStats;
  readonly log?: Logger;
}

const HTTP_LABELS = ['method', 'route', 'status'] as const;
/** Seconds; from a cached lookup to a slow search or a long `wait`. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests: Counter<(typeof HTTP_LABELS)[number]>;
  readonly httpDuration: Histogram<(typeof HTTP_LABELS)[number]>;
  readonly searchPlans: Counter<'plan'>;
  readonly integrityErrors: Counter;
  readonly searchesRejected: Counter;
  private snapshot: Promise<IndexStatus> | null = null;

  constructor(private readonly sources: MetricsSources = {}) {
    const registers = [this.registry];
    this.httpRequests = new Counter({
      name: 'vikingscope_http_requests_total',
      help: 'HTTP requests answered, by method, route pattern and status',
      labelNames: HTTP_LABELS,
      registers,
    });
    this.httpDuration = new Histogram({
      name: 'vikingscope_http_request_duration_seconds',
      help: 'HTTP request latency, by method, route pattern and status',
      labelNames: HTTP_LABELS,
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.searchPlans = new Counter({
      name: 'vikingscope_search_plans_total',
      help: 'Searches by the query plan the search service chose',
      labelNames: ['plan'],
      registers,
    });
    this.integrityErrors = new Counter({
      name: 'vikingscope_search_integrity_errors_total',
      help: 'Search hits dropped because their stored owner fields disagree with their URI',
      registers,
    });
    this.searchesRejected = new Counter({
      name: 'vikingscope_search_rejected_total',
      help: 'Searches refused with 503 because the admission queue was full',
      registers,
    });
    this.indexGauges();
    this.processGauges();
  }

  /** The Prometheus text exposition of every metric. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private indexGauges(): void {
    const registers = [this.registry];
    const fromStatus = (name: string, help: string, field: keyof IndexStatus): void => {
      const read = (): Promise<IndexStatus> => this.indexStatus();
      new Gauge({
        name,
        help,
        registers,
        async collect() {
          const value = (await read())[field];
          if (value !== undefined) this.set(value);
        },
      });
    };
    fromStatus('vikingscope_index_queue_depth', 'Index jobs accepted and not yet applied', 'queue_depth');
    fromStatus(
      'vikingscope_index_lag_seconds',
      'Age of the oldest index job not yet applied (0 when the queue is empty)',
      'index_lag_s',
    );
    fromStatus('vikingscope_index_records', 'Records in the search index', 'records');
    fromStatus(
      'vikingscope_indexing_paused',
      'Whether a storage fault (disk full, read-only) pauses indexing: 1 or 0',
      'indexing_paused',
    );
    const read = (): Promise<IndexStatus> => this.indexStatus();
    new Counter({
      name: 'vikingscope_index_jobs_failed_total',
      help: 'Index jobs dropped after their retries (a re-index repairs them)',
      registers,
      async collect() {
        const failed = (await read()).failed_jobs;
        if (failed === undefined) return;
        this.reset();
        this.inc(failed);
      },
    });
    const load = this.sources.searchLoad;
    new Gauge({
      name: 'vikingscope_search_inflight',
      help: 'Searches running now',
      registers,
      collect() {
        if (load !== undefined) this.set(load().inflight);
      },
    });
    new Gauge({
      name: 'vikingscope_search_queued',
      help: 'Searches waiting for a slot',
      registers,
      collect() {
        if (load !== undefined) this.set(load().queued);
      },
    });
  }

  private processGauges(): void {
    const registers = [this.registry];
    new Gauge({
      name: 'process_resident_memory_bytes',
      help: 'Resident set size of the server process',
      registers,
      collect() {
        this.set(process.memoryUsage.rss());
      },
    });
    new Gauge({
      name: 'nodejs_heap_used_bytes',
      help: 'V8 heap in use',
      registers,
      collect() {
        this.set(process.memoryUsage().heapUsed);
      },
    });
  }

  /**
   * The pipeline status for the scrape in progress: every gauge of one scrape shares one call (they
   * are collected concurrently); a failed call leaves the index metrics at their last values.
   */
  private indexStatus(): Promise<IndexStatus> {
    const source = this.sources.indexStatus;
    if (source === undefined) return Promise.resolve({});
    this.snapshot ??= source()
      .then((status) => IndexStatus.catch({}).parse(status))
      .catch((error: unknown) => {
        this.sources.log?.warn({ err: error }, 'metrics: index status unavailable');
        return {};
      })
      .finally(() => {
        this.snapshot = null;
      });
    return this.snapshot;
  }
}
