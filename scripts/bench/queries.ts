/**
 * Query classes of BENCHMARK.md (root, account, user, private, session): identities drawn from
 * qualifying tenants, query vectors, and for each query the exact set of folders it may read under
 * its target — decided by the policy core (`visibilityExpr`, `targetExpr`, `evaluate`) on each
 * folder's record fields, never by the store or the search service under test.
 */
import {
  and,
  canRead,
  evaluate,
  recordOf,
  resolveUri,
  targetExpr,
  visibilityExpr,
  type Expr,
  type FilterRecord,
  type RequestContext,
} from '../../src/policy/index.js';
import { CENTROIDS, type CorpusPlan, type Layout } from './corpus.js';
import { clusteredVector, DIM, Rng } from './rng.js';

export const CLASS_NAMES = ['root', 'account', 'user', 'private', 'session'] as const;
export type ClassName = (typeof CLASS_NAMES)[number];

/** Typical matching rows at 1M records (BENCHMARK.md), scaled by records / 1M. */
const RANGE_AT_1M: Partial<Record<ClassName, readonly [number, number]>> = {
  account: [4_000, 60_000],
  user: [5_000, 25_000],
  private: [100, 1_000],
};
const TRIES = 64;

export interface BenchQuery {
  /** Index over all classes; the lookup embedder's query text is `q:<index>`. */
  readonly index: number;
  readonly cls: ClassName;
  readonly ctx: RequestContext;
  /** Global user index of the effective user (its key is used over HTTP). */
  readonly user: number;
  readonly target: string | undefined;
  readonly centroid: number;
  readonly vector: Float32Array;
  /** Records the identity may read under the target (from the plan). */
  readonly matching: number;
  /** Folders holding those records. */
  readonly folders: readonly number[];
}

interface Identity {
  readonly ctx: RequestContext;
  readonly user: number;
  readonly target: string | undefined;
}

/** The filter record of each folder: the fields every record in it has. */
export function folderRecords(layout: Layout, plan: CorpusPlan): FilterRecord[] {
  return plan.folders.map((f) => {
    const account = layout.accounts[f.account]!;
    return recordOf(account.id, resolveUri(`${f.uri}/messages/x`, null, account.policy));
  });
}

class Selector {
  constructor(
    private readonly layout: Layout,
    private readonly plan: CorpusPlan,
    private readonly reps: readonly FilterRecord[],
    private readonly rng: Rng,
  ) {}

  filterOf(id: Identity): Expr {
    const { ctx, target } = id;
    if (target === undefined) return visibilityExpr(ctx);
    const resolved = resolveUri(target, ctx.effective, ctx.policy);
    if (!canRead(ctx, resolved)) throw new Error(`benchmark target ${target} is not readable`);
    return and(visibilityExpr(ctx), targetExpr(resolved));
  }

  /** Folders the identity may read, and their record count. */
  readable(id: Identity, account: number): { folders: number[]; matching: number } {
    const filter = this.filterOf(id);
    const folders = this.plan.foldersByAccount[account]!.filter((f) => evaluate(filter, this.reps[f]!));
    return { folders, matching: folders.reduce((s, f) => s + this.plan.folders[f]!.count, 0) };
  }

  identity(cls: ClassName, user: number, root: boolean, target?: string): Identity {
    const u = this.layout.users[user]!;
    const account = this.layout.accounts[u.account]!;
    const agent = this.layout.agents[this.layout.agentZipf.sample(this.rng)]!;
    const ctx: RequestContext = {
      role: root ? 'root' : 'user',
      policy: account.policy,
      effective: { account_id: account.id, user_id: u.id, agent_id: agent },
    };
    if (cls !== 'private') return { ctx, user, target };
    const p = account.policy;
    const memories = p.isolate_user_scope_by_agent
      ? `viking://user/${u.id}/agent/${agent}/memories`
      : `viking://user/${u.id}/memories`;
    return { ctx, user, target: memories };
  }

  /** Draws an identity of the class; user/private retry until the matching count is in range. */
  draw(cls: ClassName, range: readonly [number, number] | undefined, accounts: readonly number[]): Identity {
    const users = this.layout.users;
    switch (cls) {
      case 'root':
      case 'account': {
        const account = this.layout.accounts[this.rng.pick(accounts)]!;
        return this.identity(cls, this.rng.pick(account.users), true);
      }
      case 'session': {
        const sessions = this.plan.folders.flatMap((f, i) => (f.session === null ? [] : [i]));
        const folder = this.plan.folders[this.rng.pick(sessions)]!;
        const user = this.rng.pick(this.layout.accounts[folder.account]!.users);
        return this.identity(cls, user, false, `viking://session/${folder.session}`);
      }
      case 'user':
      case 'private': {
        let best: { id: Identity; distance: number } | null = null;
        for (let t = 0; t < TRIES; t++) {
          const id = this.identity(cls, this.rng.int(users.length), false);
          const { matching } = this.readable(id, users[id.user]!.account);
          const [lo, hi] = range ?? [0, Infinity];
          const distance =
            matching === 0 ? Infinity : matching < lo ? Math.log(lo / matching) : Math.log(matching / hi);
          if (best === null || distance < best.distance) best = { id, distance };
          if (distance <= 0) break;
        }
        return best!.id;
      }
    }
  }
}

/**
 * `perClass` queries of every class. Ranges are scaled to the corpus size; accounts for the
 * `account` class are those whose size is within the scaled range (all but the largest if none).
 */
export function makeQueries(
  layout: Layout,
  plan: CorpusPlan,
  perClass: number,
  seed: number,
): { queries: BenchQuery[]; reps: FilterRecord[] } {
  const reps = folderRecords(layout, plan);
  const rng = new Rng(seed ^ 0x0de5);
  const selector = new Selector(layout, plan, reps, rng);
  const scale = plan.records / 1_000_000;
  const sizes = plan.accountSize;
  const largest = sizes.indexOf(Math.max(...sizes));
  const queries: BenchQuery[] = [];
  for (const cls of CLASS_NAMES) {
    const range = RANGE_AT_1M[cls]?.map((v) => v * scale) as [number, number] | undefined;
    let accounts = cls === 'root' ? [largest] : sizes.map((_, a) => a);
    if (cls === 'account') {
      const fit = accounts.filter((a) => sizes[a]! >= range![0] && sizes[a]! <= range![1]);
      accounts = fit.length > 0 ? fit : accounts.filter((a) => a !== largest);
    }
    for (let n = 0; n < perClass; n++) {
      const id = selector.draw(cls, range, accounts);
      const { folders, matching } = selector.readable(id, layout.users[id.user]!.account);
      const centroid = rng.int(CENTROIDS);
      const vector = new Float32Array(DIM);
      clusteredVector(rng, layout.centroids, centroid, vector);
      queries.push({ index: queries.length, cls, ...id, centroid, vector, matching, folders });
    }
  }
  return { queries, reps };
}

/** For each folder, the indexes of the queries that may read it. */
export function readersByFolder(plan: CorpusPlan, queries: readonly BenchQuery[]): Int32Array[] {
  const lists: number[][] = plan.folders.map(() => []);
  for (const q of queries) for (const f of q.folders) lists[f]!.push(q.index);
  return lists.map((l) => Int32Array.from(l));
}
