/**
 * OpenViking's observer view of a running server (`/api/v1/observer/{queue,vikingdb,models,system}`
 * and `/api/v1/debug/health`), built from what the indexing pipeline and the index report. Each
 * component is `{name, is_healthy, has_errors, status}` (status: a short text table, as OpenViking
 * answers) plus its figures as fields. ROOT sees the whole server; any other caller sees only its own
 * account's figures (its pending jobs, its records), never another tenant's volumes or failures.
 * The same rule decides what `/api/v1/system/status` shows ({@link Observer.status}).
 */
import type { Embedder } from './embedders/embedder.js';
import type { IndexGuard, IndexState } from './indexing/guard.js';
import type { IndexPipeline } from './indexing/pipeline.js';
import type { RecordIndex } from './index/record-index.js';
import type { SearchService } from './search/service.js';
import { eq, type RequestContext } from './policy/index.js';
import { processMemory } from './process-memory.js';
import { describeFault } from './storage/faults.js';
import { probeWritable } from './storage/probe.js';

export interface Component {
  readonly name: string;
  readonly is_healthy: boolean;
  readonly has_errors: boolean;
  readonly status: string;
  readonly [figure: string]: unknown;
}

export interface SystemView {
  readonly is_healthy: boolean;
  readonly errors: string[];
  readonly components: Record<string, Component>;
}

export interface ObserverDeps {
  readonly pipeline: IndexPipeline;
  readonly store: RecordIndex;
  readonly embedder: Embedder;
  /** Whether the index is complete (not missing or being rebuilt). */
  readonly guard: IndexGuard;
  /** DATA_DIR, probed with a one-byte write by the readiness check. */
  readonly dataDir: string;
  /** Counts the search hits dropped by the post-retrieval check (ROOT's `integrity_errors`). */
  readonly search?: Pick<SearchService, 'integrityErrors'>;
  /** Distributed mode: resolves when PostgreSQL answers (readiness reports `database`). */
  readonly database?: () => Promise<void>;
}

/** `key  value` lines, OpenViking's status is a text table too. */
function table(figures: Record<string, unknown>): string {
  const width = Math.max(...Object.keys(figures).map((k) => k.length));
  return Object.entries(figures)
    .map(
      ([k, v]) => `${k.padEnd(width)}  ${v === null ? '-' : typeof v === 'string' ? v : JSON.stringify(v)}`,
    )
    .join('\n');
}

function component(name: string, healthy: boolean, errors: boolean, figures: Record<string, unknown>) {
  return { name, is_healthy: healthy, has_errors: errors, status: table(figures), ...figures };
}

export class Observer {
  constructor(private readonly deps: ObserverDeps) {}

  /** The index queue: ROOT sees depth, lag, drain rate and dropped jobs; others their pending jobs. */
  async queue(ctx: RequestContext): Promise<Component> {
    const { pipeline } = this.deps;
    if (ctx.role !== 'root') {
      const figures = { pending: await pipeline.pendingFor(ctx.effective.account_id) };
      return component('queue', pipeline.running, false, figures);
    }
    const s = await pipeline.status();
    const figures = {
      pending: s.queue_depth,
      index_lag_s: s.index_lag_s,
      drain_rate: s.drain_rate,
      failed_jobs: s.failed_jobs,
    };
    return component('queue', pipeline.running, s.failed_jobs > 0, figures);
  }

  /** The vector index: records (all for ROOT, the caller's account otherwise), `processed` alike. */
  async vikingdb(ctx: RequestContext): Promise<Component> {
    const filter = ctx.role === 'root' ? undefined : eq('account_id', ctx.effective.account_id);
    const records = await this.deps.store.countRows(filter).catch(() => null);
    const figures = { collection: 'records', records, processed: records };
    return component('vikingdb', records !== null, records === null, figures);
  }

  /** The models in use: the embedder only (no VLM, no reranker). */
  models(): Component {
    const { id, dimension } = this.deps.embedder;
    return component('models', true, false, { embedding: id, dimension, vlm: null, rerank: null });
  }

  /**
   * The extra fields of `/system/status`: ROOT sees the whole index; everyone else sees the
   * embedder, the index's state and its own account's queue depth, index lag and record count — not
   * other tenants' volumes or write activity, nor the failure counters.
   */
  async status(ctx: RequestContext): Promise<Record<string, unknown>> {
    const { pipeline, store, guard } = this.deps;
    const index: IndexState = await guard.state();
    const status = await pipeline.status();
    if (ctx.role === 'root') {
      const integrity_errors = this.deps.search?.integrityErrors ?? 0;
      return {
        index,
        ...status,
        integrity_errors,
        search_memory: store.memoryStatus(),
        process_memory: processMemory(),
      };
    }
    const records = await store.countRows(eq('account_id', ctx.effective.account_id));
    const { queue_depth, index_lag_s } = await pipeline.queueFor(ctx.effective.account_id);
    const { embedder, indexing_paused } = status;
    return { index, queue_depth, index_lag_s, records, embedder, indexing_paused };
  }

  /** Every component, and the names of the unhealthy ones in `errors`. */
  async system(ctx: RequestContext): Promise<SystemView> {
    const list = [await this.queue(ctx), await this.vikingdb(ctx), this.models()];
    const errors = list.filter((c) => !c.is_healthy || c.has_errors).map((c) => `${c.name} has errors`);
    const components = Object.fromEntries(list.map((c) => [c.name, c]));
    return { is_healthy: list.every((c) => c.is_healthy), errors, components };
  }

  /**
   * /ready and debug/health: the indexer accepts jobs and is not paused, the index is complete (not
   * missing or being rebuilt) and answers a query, DATA_DIR takes a write (`storage` is
   * `disk_full`, `read_only` or `permission_denied` otherwise, with the cause in `storage_error`),
   * and in distributed mode PostgreSQL answers (`database`).
   */
  async readiness(): Promise<{ ok: boolean; checks: Record<string, unknown> }> {
    const { pipeline, store, guard, dataDir, database } = this.deps;
    const state = await guard.state();
    const index =
      state !== 'ok'
        ? state
        : await store.countRows().then(
            () => 'ok',
            () => 'unavailable',
          );
    const indexer = !pipeline.running ? 'stopped' : pipeline.paused !== null ? 'paused' : 'ok';
    const fault = await probeWritable(dataDir);
    const storage = fault === null ? 'ok' : fault.kind;
    const checks: Record<string, unknown> = { index, indexer, storage };
    if (fault !== null) checks['storage_error'] = describeFault(fault);
    if (pipeline.paused !== null) checks['indexing_paused'] = pipeline.paused.message;
    let reached = true;
    if (database !== undefined) {
      reached = await database().then(
        () => true,
        () => false,
      );
      checks['database'] = reached ? 'ok' : 'unavailable';
    }
    return { ok: index === 'ok' && indexer === 'ok' && storage === 'ok' && reached, checks };
  }
}
