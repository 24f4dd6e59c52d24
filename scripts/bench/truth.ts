/**
 * Exact ground truth, computed while the corpus streams past: every record is scored against each
 * query that may read it (the per-folder reader lists of queries.ts) and kept in that query's top k.
 * Records written after the load (writes.ts) are visited the same way once the plan is extended, so
 * the truth then covers them too. Also checks that each record's owner fields are those of its
 * folder, so the grouping is exact.
 */
import type { RecordDraft } from '../../src/indexing/records.js';
import type { FilterRecord } from '../../src/policy/index.js';
import type { CorpusPlan } from './corpus.js';
import type { BenchQuery } from './queries.js';
import { dot } from './rng.js';

/** The k best (score, uri) pairs seen so far. */
export class TopK {
  private readonly scores: number[] = [];
  private readonly uris: string[] = [];

  constructor(private readonly k: number) {}

  offer(score: number, uri: string): void {
    const n = this.scores.length;
    if (n === this.k && score <= this.scores[n - 1]!) return;
    let at = n === this.k ? n - 1 : n;
    while (at > 0 && this.scores[at - 1]! < score) {
      this.scores[at] = this.scores[at - 1]!;
      this.uris[at] = this.uris[at - 1]!;
      at--;
    }
    this.scores[at] = score;
    this.uris[at] = uri;
  }

  /** URIs, best first. */
  get best(): readonly string[] {
    return this.uris;
  }
}

const CHECKED_FIELDS = ['account_id', 'scope', 'owner_user_id', 'owner_agent_id'] as const;

export class GroundTruth {
  readonly top: TopK[];
  private readonly checked = new Set<number>();

  constructor(
    private plan: CorpusPlan,
    private readonly queries: readonly BenchQuery[],
    private readonly readers: readonly Int32Array[],
    private readonly reps: readonly FilterRecord[],
    k: number,
  ) {
    this.top = queries.map(() => new TopK(k));
  }

  /** The exact top k of a query (URIs, best first) over the records visited so far. */
  exact(q: { readonly index: number }): readonly string[] {
    return this.top[q.index]!.best;
  }

  /** Takes a plan with more records (the same folders, the first records unchanged) for later visits. */
  extend(plan: CorpusPlan): void {
    if (plan.folders.length !== this.plan.folders.length || plan.records < this.plan.records) {
      throw new Error('an extended plan keeps the folders and adds records');
    }
    this.plan = plan;
  }

  /** Scores record `i` (its vector at `offset` in `vectors`) for every query that may read it. */
  visit(i: number, draft: RecordDraft, vectors: Float32Array, offset: number): void {
    const folder = this.plan.folderOf[i]!;
    if (!this.checked.has(folder)) this.check(folder, draft);
    for (const q of this.readers[folder]!) {
      this.top[q]!.offer(dot(this.queries[q]!.vector, vectors, offset), draft.uri);
    }
  }

  private check(folder: number, draft: RecordDraft): void {
    const rep = this.reps[folder]!;
    for (const field of CHECKED_FIELDS) {
      if (rep[field] !== draft[field]) {
        throw new Error(
          `record ${draft.uri}: ${field} ${String(draft[field])} ≠ folder's ${String(rep[field])}`,
        );
      }
    }
    this.checked.add(folder);
  }
}
