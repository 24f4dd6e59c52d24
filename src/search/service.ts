/**
 * Namespace-filtered search (SPEC 10). The filter is built only from the policy core, in the spec's
 * order — account, target subtree, visibility, caller options (ANDed) — compiled once per request and
 * used identically by every mode. Each hit is re-checked in memory before it is returned
 * ({@link IntegrityCheck}); the lists are ranked in `rank.ts` and grouped in `results.ts`.
 */
import pLimit, { type LimitFunction } from 'p-limit';
import { AppError } from '../errors.js';
import type { Embedder } from '../embedders/embedder.js';
import { queryTerms } from '../index/memory/tokens.js';
import type { PlanReport, RequestedPlan } from '../index/planner.js';
import type { Logger } from '../log.js';
import {
  and,
  compileWhere,
  isIn,
  or,
  targetExpr,
  visibilityExpr,
  type Expr,
  type RequestContext,
} from '../policy/index.js';
import { optionsExpr, resolveTargets } from './filter.js';
import type { Ranked } from './fuse.js';
import { IntegrityCheck } from './integrity.js';
import { deeper, rankHits, type RankedList } from './rank.js';
import { group, peersOfHits, type PeersOf } from './results.js';
import type { IndexHit, SearchIndex, SearchRequest, SearchResult } from './types.js';

export type { Hit, IndexHit, SearchIndex, SearchMode, SearchRequest, SearchResult } from './types.js';

export interface SearchDeps {
  readonly index: SearchIndex;
  readonly embedder: Embedder;
  readonly log: Logger;
  /** Told about every hit dropped by the post-retrieval check (the metrics counter). */
  readonly onIntegrityError?: (count: number) => void;
  /** Index queries in flight at once; more wait their turn (exact searches saturate the cores). */
  readonly maxConcurrentQueries?: number;
  /** `baseline` forces the previous release's exact LanceDB plan (benchmarks). Default `auto`. */
  readonly plan?: RequestedPlan;
  /** Told the plan of every vector query (metrics). */
  readonly onPlan?: (plan: PlanReport) => void;
  /** The `peer_id`s of some messages of a session (kept with the messages, not in the index). */
  readonly peersOf?: PeersOf;
  /**
   * Throws (UNAVAILABLE) while the caller's index is missing or being rebuilt; `recheck` probes the
   * index again at once (after a failed query: a 503 naming the cause rather than a 500).
   */
  readonly available?: (ctx: RequestContext, recheck?: boolean) => Promise<void>;
  /** The URIs the caller may read that carry every one of `tags` (a search's tag restriction). */
  readonly taggedUris?: (ctx: RequestContext, tags: readonly string[]) => Promise<readonly string[]>;
}

const DEFAULT_CONCURRENT_QUERIES = 4;

export class SearchService {
  private readonly queries: LimitFunction;
  private readonly integrity: IntegrityCheck;

  constructor(private readonly deps: SearchDeps) {
    this.queries = pLimit(deps.maxConcurrentQueries ?? DEFAULT_CONCURRENT_QUERIES);
    this.integrity = new IntegrityCheck(deps.log, deps.onIntegrityError);
  }

  /** Hits dropped by the post-retrieval check since start (ROOT's `integrity_errors` in status). */
  get integrityErrors(): number {
    return this.integrity.errors;
  }

  async search(ctx: RequestContext, request: SearchRequest): Promise<SearchResult> {
    const targets = resolveTargets(ctx, request.target_uri);
    await this.deps.available?.(ctx);
    const filter = and(
      visibilityExpr(ctx),
      targets.length === 0 ? and() : or(...targets.map(targetExpr)),
      optionsExpr(request),
      await this.tagsExpr(ctx, request.tags),
    );
    const queued = performance.now();
    const { lists, hits, dropped } = await this.collect(ctx, request, filter);
    const retrieved = performance.now();
    const account_id = ctx.effective.account_id;
    const result = group(hits, await peersOfHits(this.deps.peersOf, account_id, hits));
    if (request.explain === true) {
      const target_uri = targets.length === 0 ? null : targets.map((t) => t.uri).join(',');
      const stages_ms: Record<string, number> = { retrieve: retrieved - queued };
      for (const list of lists) stages_ms[list.reason] = list.ms;
      stages_ms['rank'] = performance.now() - retrieved;
      const plan = lists.find((l) => l.plan !== undefined)?.plan;
      result.explain = {
        target_uri,
        filter: compileWhere(filter),
        mode: request.mode,
        dropped,
        ...(plan === undefined ? {} : { plan }),
        stages_ms,
      };
    }
    return result;
  }

  /**
   * The best hit per URI, at most `limit`, never fewer while more URIs match: the index returns
   * records (a long file's chunks can fill a whole fetch), so when the URIs of a full fetch fall short
   * the fetch is repeated four times deeper, until `limit` URIs, exhaustion (a list shorter than
   * asked), or a depth past which no record could pass the score threshold.
   */
  private async collect(
    ctx: RequestContext,
    request: SearchRequest,
    filter: Expr,
  ): Promise<{ lists: RankedList[]; hits: Ranked<IndexHit>[]; dropped: number }> {
    // Each record is checked once, even when both paths (or several fetches) returned it.
    const verified = new Map<string, boolean>();
    let fetch = Math.min(Math.max(request.limit * 4, 20), 4000);
    for (;;) {
      const k = fetch;
      const lists = await this.queries(() => this.retrieve(request, filter, k)).catch(
        async (error: unknown) => {
          await this.deps.available?.(ctx, true);
          throw error;
        },
      );
      for (const hit of lists.flatMap((l) => l.items))
        if (!verified.has(hit.id)) verified.set(hit.id, this.integrity.verify(ctx, filter, hit));
      const hits = rankHits(lists, verified, request);
      if (hits.length >= request.limit || !deeper(lists, k, request.mode, request.score_threshold)) {
        const dropped = [...verified.values()].filter((ok) => !ok).length;
        return { lists, hits: hits.slice(0, request.limit), dropped };
      }
      fetch = k * 4;
    }
  }

  /** SPEC 10 step 4 for `tags`: `uri IN (...)`, ANDed, so it only narrows (FALSE if none carry them). */
  private async tagsExpr(ctx: RequestContext, tags: readonly string[] | undefined): Promise<Expr> {
    if (tags === undefined || tags.length === 0) return and();
    if (this.deps.taggedUris === undefined) {
      throw new AppError('FAILED_PRECONDITION', 'this server keeps no tags to filter on');
    }
    return isIn('uri', await this.deps.taggedUris(ctx, tags));
  }

  /** Runs the mode's retrieval paths; hybrid runs both at once (the index works on both cores). */
  private async retrieve(request: SearchRequest, filter: Expr, k: number): Promise<RankedList[]> {
    const paths: Array<Promise<RankedList>> = [];
    if (request.mode !== 'fulltext') paths.push(this.vectorPath(request.query, filter, k));
    if (request.mode !== 'vector') paths.push(this.fullTextPath(request.query, filter, k));
    return Promise.all(paths);
  }

  private async vectorPath(query: string, filter: Expr, k: number): Promise<RankedList> {
    const started = performance.now();
    const [vector] = await this.deps.embedder.embed([query]);
    if (vector === undefined) throw new AppError('INTERNAL', 'the embedder returned no vector');
    const embedded = performance.now();
    const { rows, plan } = await this.deps.index.vectorSearch(vector, filter, k, this.deps.plan ?? 'auto');
    this.deps.onPlan?.(plan);
    const stages_ms = { embed: embedded - started, ...plan.stages_ms };
    return { reason: 'vector', items: rows, plan: { ...plan, stages_ms }, ms: performance.now() - started };
  }

  private async fullTextPath(query: string, filter: Expr, k: number): Promise<RankedList> {
    const started = performance.now();
    // The index cuts the query itself (the one tokenizer); a query without words finds nothing.
    const items =
      queryTerms(query).length === 0 ? [] : await this.deps.index.fullTextSearch(query, filter, k);
    return { reason: 'fulltext', items, ms: performance.now() - started };
  }
}
