/**
 * The search contract (SPEC 10): the index as search sees it, a request as the service takes it and
 * the grouped result it answers. Types only; the HTTP and MCP schemas live in `request.ts`.
 */
import type { PlanReport, RequestedPlan } from '../index/planner.js';
import type { ContextType, Expr, ScoredRow } from '../policy/index.js';

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
