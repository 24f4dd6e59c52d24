/**
 * Namespace-filtered search (SPEC 10). The filter is built only from the policy core, in the spec's
 * order — account, target subtree, visibility, caller options (ANDed) — compiled once per request and
 * used identically by every mode. Each hit is re-checked in memory before it is returned.
 */
import pLimit, { type LimitFunction } from 'p-limit';
import { AppError } from '../errors.js';
import type { Embedder } from '../embedders/embedder.js';
import { queryTerms } from '../index/memory/tokens.js';
import type { PlanReport, RequestedPlan } from '../index/planner.js';
import type { Logger } from '../log.js';
import {
  and,
  canRead,
  cmp,
  compileWhere,
  evaluate,
  isIn,
  or,
  resolveUri,
  targetExpr,
  visibilityExpr,
  type ContextType,
  type Expr,
  type RequestContext,
  type ResolvedUri,
  type ScoredRow,
} from '../policy/index.js';
import { bestPerKey, reciprocalRankFusion, type Ranked } from './fuse.js';

/** A row returned by the index's query primitives: the hit columns plus the match score. */
export type IndexHit = ScoredRow;

/**
 * The index as search sees it: both primitives take the request's filter expression (the index
 * compiles or interprets it) and are always prefiltered. The vector primitive plans its own query
 * and reports the plan.
 */
export interface SearchIndex {
  vectorSearch(
    vector: Float32Array,
    filter: Expr,
    k: number,
    requested?: RequestedPlan,
  ): Promise<{ readonly rows: readonly IndexHit[]; readonly plan: PlanReport }>;
  fullTextSearch(query: string, filter: Expr, k: number): Promise<readonly IndexHit[]>;
}

export type SearchMode = 'vector' | 'fulltext' | 'hybrid';

export interface SearchRequest {
  readonly query: string;
  /** One subtree, or several (OpenViking's list form): hits come from any of them. */
  readonly target_uri?: string | readonly string[] | undefined;
  readonly limit: number;
  /**
   * The least relevance a hit needs, in the unit of the mode's own measure: cosine similarity for
   * `vector`, BM25 for `fulltext`. In `hybrid` it is the cosine similarity the vector path needs
   * (OpenViking's meaning), while full-text word matches stay: the fused rank score says where a hit
   * ranks, not how relevant it is, so a threshold on it would cut by position.
   */
  readonly score_threshold?: number | undefined;
  readonly context_type?: readonly ContextType[] | undefined;
  readonly mode: SearchMode;
  /** Epoch milliseconds, inclusive, of `time_field` (default `updated_at`). */
  readonly since?: number | undefined;
  readonly until?: number | undefined;
  readonly time_field?: 'created_at' | 'updated_at' | undefined;
  /** Record levels to search (0 folder abstract, 1 folder overview, 2 file chunk or message); all if absent. */
  readonly levels?: readonly number[] | undefined;
  /** Only files and folders carrying every one of these tags (an empty list restricts nothing). */
  readonly tags?: readonly string[] | undefined;
  readonly explain?: boolean | undefined;
}

export interface Hit {
  context_type: string;
  uri: string;
  level: number;
  score: number;
  abstract: string;
  match_reason: string;
  session_id?: string;
  message_id?: string;
  role?: string;
  role_id?: string;
  /** A session message's `peer_id` label, when it has one. */
  peer_id?: string;
}

export interface SearchResult {
  memories: Hit[];
  resources: Hit[];
  skills: Hit[];
  sessions: Hit[];
  total: number;
  explain?: {
    target_uri: string | null;
    filter: string;
    mode: SearchMode;
    dropped: number;
    /** The vector query's plan (absent in fulltext mode) and the time of each stage. */
    plan?: PlanReport;
    stages_ms: Record<string, number>;
  };
}
const GROUP: Record<string, keyof Omit<SearchResult, 'total' | 'explain'>> = {
  memory: 'memories',
  resource: 'resources',
  skill: 'skills',
  session: 'sessions',
};

export interface SearchDeps {
  readonly index: SearchIndex;
  readonly embedder: Embedder;
  readonly log: Logger;
  /** Told about every hit dropped by the post-retrieval check (counted in system status). */
  readonly onIntegrityError?: (count: number) => void;
  /** Index queries in flight at once; more wait their turn (exact searches saturate the cores). */
  readonly maxConcurrentQueries?: number;
  /** `baseline` forces the previous release's exact LanceDB plan (benchmarks). Default `auto`. */
  readonly plan?: RequestedPlan;
  /** Told the plan of every vector query (metrics). */
  readonly onPlan?: (plan: PlanReport) => void;
  /** The `peer_id`s of some messages of a session (kept with the messages, not in the index). */
  readonly peersOf?: (
    account_id: string,
    session_id: string,
    message_ids: readonly string[],
  ) => Promise<ReadonlyMap<string, string>>;
  /**
   * Throws (UNAVAILABLE) while the caller's index is missing or being rebuilt; `recheck` probes the
   * index again at once (after a failed query: a 503 naming the cause rather than a 500).
   */
  readonly available?: (ctx: RequestContext, recheck?: boolean) => Promise<void>;
  /** The URIs the caller may read that carry every one of `tags` (a search's tag restriction). */
  readonly taggedUris?: (ctx: RequestContext, tags: readonly string[]) => Promise<readonly string[]>;
}

const DEFAULT_CONCURRENT_QUERIES = 4;

/** One retrieval path's results, best first. */
interface RankedList {
  readonly reason: string;
  readonly items: readonly IndexHit[];
  readonly plan?: PlanReport;
  readonly ms: number;
}

export class SearchService {
  private readonly queries: LimitFunction;

  constructor(private readonly deps: SearchDeps) {
    this.queries = pLimit(deps.maxConcurrentQueries ?? DEFAULT_CONCURRENT_QUERIES);
  }

  async search(ctx: RequestContext, request: SearchRequest): Promise<SearchResult> {
    const targets = this.resolveTargets(ctx, request.target_uri);
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
    const result = group(hits, await this.peersOf(ctx.effective.account_id, hits));
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
        if (!verified.has(hit.id)) verified.set(hit.id, this.verify(ctx, filter, hit));
      const threshold = request.score_threshold;
      const checked = lists.map(({ reason, items }) => ({
        reason,
        items: uniqueById(items).filter(
          (h) => verified.get(h.id) === true && relevant(reason, h, request.mode, threshold),
        ),
      }));
      const ranked =
        request.mode === 'hybrid' ? reciprocalRankFusion(checked, (h) => h.id) : single(checked[0]);
      const hits = bestPerKey(ranked, (h) => h.uri);
      if (hits.length >= request.limit || !deeper(lists, k, request.mode, threshold)) {
        const dropped = [...verified.values()].filter((ok) => !ok).length;
        return { lists, hits: hits.slice(0, request.limit), dropped };
      }
      fetch = k * 4;
    }
  }

  /** `peer_id` of the message hits that have one, by record id (one lookup per session). */
  private async peersOf(account_id: string, hits: readonly Ranked<IndexHit>[]): Promise<Map<string, string>> {
    const peers = new Map<string, string>();
    const peersOf = this.deps.peersOf;
    if (peersOf === undefined) return peers;
    const bySession = new Map<string, Array<{ readonly id: string; readonly message_id: string }>>();
    for (const { item } of hits) {
      const { id, session_id, message_id } = item;
      if (session_id === null || message_id === null) continue;
      bySession.set(session_id, [...(bySession.get(session_id) ?? []), { id, message_id }]);
    }
    await Promise.all(
      [...bySession].map(async ([session_id, items]) => {
        const found = await peersOf(
          account_id,
          session_id,
          items.map((i) => i.message_id),
        );
        for (const { id, message_id } of items) {
          const peer = found.get(message_id);
          if (peer !== undefined) peers.set(id, peer);
        }
      }),
    );
    return peers;
  }

  /** SPEC 10 step 4 for `tags`: `uri IN (...)`, ANDed, so it only narrows (FALSE if none carry them). */
  private async tagsExpr(ctx: RequestContext, tags: readonly string[] | undefined): Promise<Expr> {
    if (tags === undefined || tags.length === 0) return and();
    if (this.deps.taggedUris === undefined) {
      throw new AppError('FAILED_PRECONDITION', 'this server keeps no tags to filter on');
    }
    return isIn('uri', await this.deps.taggedUris(ctx, tags));
  }

  /** SPEC 10 step 2 for each target: normalise, expand, shape-check (400), visibility-check (403). */
  private resolveTargets(ctx: RequestContext, raw: string | readonly string[] | undefined): ResolvedUri[] {
    const list = raw === undefined ? [] : typeof raw === 'string' ? [raw] : raw;
    return list
      .filter((uri) => uri !== '')
      .map((uri) => {
        const target = resolveUri(uri, ctx.effective, ctx.policy);
        if (!canRead(ctx, target))
          throw new AppError('PERMISSION_DENIED', 'target_uri is not visible to the caller');
        return target;
      });
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

  /**
   * The post-retrieval check: the hit must satisfy the request's filter (visibility included) on its
   * stored fields, and those fields must be the ones its URI derives under the account's policy — so
   * the visibility that passed is also the visibility of the URI itself.
   */
  private verify(ctx: RequestContext, filter: Expr, hit: IndexHit): boolean {
    let ok = evaluate(filter, hit);
    if (ok) {
      try {
        const derived = resolveUri(hit.uri, null, ctx.policy);
        ok =
          derived.uri === hit.uri &&
          (derived.scope ?? '') === hit.scope &&
          derived.owner_user_id === hit.owner_user_id &&
          derived.owner_agent_id === hit.owner_agent_id;
      } catch {
        ok = false;
      }
    }
    if (!ok) {
      this.deps.onIntegrityError?.(1);
      this.deps.log.error(
        { uri: hit.uri, account_id: hit.account_id, id: hit.id },
        'search integrity error: hit dropped',
      );
    }
    return ok;
  }
}

function optionsExpr(request: SearchRequest): Expr {
  const time = request.time_field ?? 'updated_at';
  const levels = request.levels ?? [];
  return and(
    request.context_type === undefined ? and() : isIn('context_type', request.context_type),
    request.since === undefined ? and() : cmp(time, '>=', request.since),
    request.until === undefined ? and() : cmp(time, '<=', request.until),
    levels.length === 0
      ? and()
      : or(...levels.map((level) => and(cmp('level', '>=', level), cmp('level', '<=', level)))),
  );
}

/**
 * Whether fetching deeper than `k` records per path could add a hit: some list came back full, and a
 * record below depth k could still reach the threshold — in one list the measure only falls, so once
 * the last record fetched is below it none deeper passes; in hybrid, full-text matches always count.
 */
function deeper(
  lists: readonly RankedList[],
  k: number,
  mode: SearchMode,
  threshold: number | undefined,
): boolean {
  if (!lists.some((l) => l.items.length >= k)) return false;
  if (threshold === undefined || mode === 'hybrid') return true;
  const last = lists[0]?.items.at(-1);
  return last === undefined || measureOf(last) >= threshold;
}

/** A ranked list with each record once (its best rank): a record must never be counted twice. */
function uniqueById(items: readonly IndexHit[]): IndexHit[] {
  const seen = new Set<string>();
  return items.filter((h) => {
    if (seen.has(h.id)) return false;
    seen.add(h.id);
    return true;
  });
}

/** A retrieval path's own measure of a row: cosine similarity (vector) or BM25 (full text). */
function measureOf(item: IndexHit): number {
  return item._distance !== undefined ? 1 - item._distance : (item._score ?? 0);
}

/**
 * Whether a row of one retrieval path meets `score_threshold` (see {@link SearchRequest}): its own
 * measure must reach it, except full-text rows in hybrid mode, which matched the query's words.
 */
function relevant(reason: string, item: IndexHit, mode: SearchMode, threshold: number | undefined): boolean {
  if (threshold === undefined || (mode === 'hybrid' && reason === 'fulltext')) return true;
  return measureOf(item) >= threshold;
}

function single(list: Pick<RankedList, 'reason' | 'items'> | undefined): Ranked<IndexHit>[] {
  if (list === undefined) return [];
  return list.items.map((item) => ({
    item,
    score: measureOf(item),
    reasons: [list.reason],
  }));
}

function toHit({ item, score, reasons }: Ranked<IndexHit>, peer: string | undefined): Hit {
  const hit: Hit = {
    context_type: item.context_type,
    uri: item.uri,
    level: item.level,
    score,
    abstract: item.abstract,
    match_reason: reasons.join('+'),
  };
  if (item.session_id !== null) hit.session_id = item.session_id;
  if (item.message_id !== null) hit.message_id = item.message_id;
  if (item.role !== null) hit.role = item.role;
  if (item.role_id !== null) hit.role_id = item.role_id;
  if (peer !== undefined) hit.peer_id = peer;
  return hit;
}

function group(ranked: readonly Ranked<IndexHit>[], peers: ReadonlyMap<string, string>): SearchResult {
  const result: SearchResult = { memories: [], resources: [], skills: [], sessions: [], total: 0 };
  for (const entry of ranked) {
    result[GROUP[entry.item.context_type] ?? 'resources'].push(toHit(entry, peers.get(entry.item.id)));
    result.total += 1;
  }
  return result;
}
