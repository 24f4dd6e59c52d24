/**
 * The benchmark's synthetic multi-tenant corpus (BENCHMARK.md): the tenant layout (accounts with
 * Zipf sizes and cycling policies, users, agents), a compact per-record plan (folder, centroid, user)
 * computed up front so queries and ground truth can be chosen before any vector exists, and the
 * streaming construction of record batches with the project's own record constructors.
 */
import {
  fileRecords,
  messageRecords,
  type IndexRecord,
  type RecordDraft,
} from '../../src/indexing/records.js';
import { type NamespacePolicy, type Scope } from '../../src/policy/index.js';
import { clusteredVector, DIM, randomCentroids, Rng, Zipf } from './rng.js';

export const ACCOUNTS = 50;
export const USERS = 1000;
export const AGENTS = 20;
export const CENTROIDS = 2000;
const MIN_USERS_PER_ACCOUNT = 2;
const SESSION_MESSAGES = { min: 15, spread: 11 }; // 15..25, about 20
const BASE_TIME = Date.UTC(2025, 0, 1);

/** The four policies, cycled over accounts by size rank so every policy occurs at every size. */
const POLICIES: readonly NamespacePolicy[] = [
  { isolate_user_scope_by_agent: false, isolate_agent_scope_by_user: false },
  { isolate_user_scope_by_agent: true, isolate_agent_scope_by_user: false },
  { isolate_user_scope_by_agent: false, isolate_agent_scope_by_user: true },
  { isolate_user_scope_by_agent: true, isolate_agent_scope_by_user: true },
];

const WORDS = (
  'agent user memory session vector search index namespace policy resource skill instruction preference ' +
  'entity event case pattern archive message overview abstract folder file read write deploy budget ' +
  'travel invoice meeting roadmap customer contract release incident review design garden harbor ' +
  'lantern meadow orbit pepper quartz river saddle timber violet willow yonder zephyr'
).split(' ');

export interface Account {
  readonly index: number;
  readonly id: string;
  readonly policy: NamespacePolicy;
  /** Global user indexes, most active first. */
  readonly users: readonly number[];
  readonly userZipf: Zipf;
}

export interface User {
  readonly id: string;
  readonly account: number;
}

export interface Layout {
  readonly accounts: readonly Account[];
  readonly users: readonly User[];
  readonly agents: readonly string[];
  readonly accountZipf: Zipf;
  readonly agentZipf: Zipf;
  readonly centroids: Float32Array;
}

/** Users per account: proportional to the account's share, at least two, summing to USERS. */
function userCounts(zipf: Zipf): number[] {
  const raw = Array.from({ length: ACCOUNTS }, (_, a) => USERS * zipf.share(a));
  const counts = raw.map((r) => Math.max(MIN_USERS_PER_ACCOUNT, Math.floor(r)));
  let left = USERS - counts.reduce((s, c) => s + c, 0);
  const byRemainder = raw.map((r, a) => [r - Math.floor(r), a] as const).sort((x, y) => y[0] - x[0]);
  for (let i = 0; left > 0; i = (i + 1) % ACCOUNTS, left--) counts[byRemainder[i]?.[1] ?? 0]! += 1;
  for (let a = 0; left < 0; a = (a + 1) % ACCOUNTS) {
    if ((counts[a] ?? 0) > MIN_USERS_PER_ACCOUNT) {
      counts[a]! -= 1;
      left++;
    }
  }
  return counts;
}

export function makeLayout(seed: number): Layout {
  const accountZipf = new Zipf(ACCOUNTS, 1);
  const users: User[] = [];
  const accounts = userCounts(accountZipf).map((count, index): Account => {
    const mine = Array.from({ length: count }, (_, k) => users.length + k);
    for (let k = 0; k < count; k++) users.push({ id: `u${users.length}`, account: index });
    const id = `acc${String(index).padStart(2, '0')}`;
    return { index, id, policy: POLICIES[index % 4]!, users: mine, userZipf: new Zipf(count, 1) };
  });
  const agents = Array.from({ length: AGENTS }, (_, g) => `g${g}`);
  const centroids = randomCentroids(new Rng(seed ^ 0x51ed), CENTROIDS);
  return { accounts, users, agents, accountZipf, agentZipf: new Zipf(AGENTS, 0.7), centroids };
}

/** A namespace folder: every record in it has the same account, scope and owner fields. */
export interface Folder {
  readonly account: number;
  readonly uri: string;
  readonly scope: Scope;
  readonly session: string | null;
  count: number;
}

export interface CorpusPlan {
  readonly records: number;
  readonly folderOf: Int32Array;
  readonly centroidOf: Uint16Array;
  readonly userOf: Uint16Array;
  readonly folders: Folder[];
  readonly foldersByAccount: number[][];
  readonly accountSize: number[];
}

function scopeOf(r: number): Scope {
  return r < 0.45 ? 'user' : r < 0.7 ? 'agent' : r < 0.9 ? 'resources' : 'session';
}

function fileFolder(scope: Scope, p: NamespacePolicy, u: string, g: string): string {
  switch (scope) {
    case 'user':
      return p.isolate_user_scope_by_agent
        ? `viking://user/${u}/agent/${g}/memories`
        : `viking://user/${u}/memories`;
    case 'agent':
      return p.isolate_agent_scope_by_user
        ? `viking://agent/${g}/user/${u}/skills`
        : `viking://agent/${g}/skills`;
    case 'resources':
      return 'viking://resources/docs';
    case 'session':
      throw new Error('sessions have no file folder');
  }
}

/** Decides every record's account, scope, owners, session and centroid (no vectors, no strings kept). */
export function planCorpus(layout: Layout, records: number, seed: number): CorpusPlan {
  const rng = new Rng(seed ^ 0x7a11);
  const folderOf = new Int32Array(records);
  const centroidOf = new Uint16Array(records);
  const userOf = new Uint16Array(records);
  const folders: Folder[] = [];
  const foldersByAccount: number[][] = layout.accounts.map(() => []);
  const ids = new Map<string, number>();
  const openSession = layout.accounts.map(() => ({ folder: -1, left: 0 }));
  const folderId = (account: number, uri: string, scope: Scope, session: string | null): number => {
    const key = `${account}\u0000${uri}`;
    let id = ids.get(key);
    if (id === undefined) {
      id = folders.push({ account, uri, scope, session, count: 0 }) - 1;
      ids.set(key, id);
      foldersByAccount[account]!.push(id);
    }
    return id;
  };
  for (let i = 0; i < records; i++) {
    centroidOf[i] = rng.int(CENTROIDS);
    const account = layout.accounts[layout.accountZipf.sample(rng)]!;
    const scope = scopeOf(rng.next());
    const user = account.users[account.userZipf.sample(rng)]!;
    const agent = layout.agents[layout.agentZipf.sample(rng)]!;
    userOf[i] = user;
    let folder: number;
    if (scope === 'session') {
      const open = openSession[account.index]!;
      if (open.left === 0) {
        const session = `s${folders.length}`;
        open.folder = folderId(account.index, `viking://session/${session}`, scope, session);
        open.left = SESSION_MESSAGES.min + rng.int(SESSION_MESSAGES.spread);
      }
      open.left--;
      folder = open.folder;
    } else {
      const uri = fileFolder(scope, account.policy, layout.users[user]!.id, agent);
      folder = folderId(account.index, uri, scope, null);
    }
    folderOf[i] = folder;
    folders[folder]!.count++;
  }
  const accountSize = foldersByAccount.map((fs) => fs.reduce((s, f) => s + folders[f]!.count, 0));
  return { records, folderOf, centroidOf, userOf, folders, foldersByAccount, accountSize };
}

/** The words every record of a cluster shares (HTTP queries use them as their text). */
export function clusterText(c: number): string {
  const w = (k: number) => WORDS[(c * k + k) % WORDS.length]!;
  return `${w(7)} ${w(13)} ${w(29)} cluster${c}`;
}

function recordText(i: number, c: number): string {
  return `${clusterText(c)} ${WORDS[Math.imul(i, 0x9e3779b1) >>> 27]!} t${i}`;
}

function draftOf(layout: Layout, plan: CorpusPlan, i: number): RecordDraft {
  const folder = plan.folders[plan.folderOf[i]!]!;
  const account = layout.accounts[folder.account]!;
  const text = recordText(i, plan.centroidOf[i]!);
  const created_at = BASE_TIME + i * 1000;
  const name = String(i).padStart(8, '0');
  const drafts =
    folder.session !== null
      ? messageRecords(
          account.id,
          folder.session,
          `msg-${name}`,
          { role: 'user', role_id: layout.users[plan.userOf[i]!]!.id, text, created_at },
          account.policy,
        )
      : fileRecords(account.id, `${folder.uri}/f-${name}.md`, text, account.policy, {
          created_at,
          updated_at: created_at,
        });
  if (drafts.length !== 1) throw new Error(`record ${i} gave ${drafts.length} drafts`);
  return drafts[0]!;
}

/** Called for each generated record (ground truth reads it before the batch is indexed). */
export type RecordVisitor = (i: number, draft: RecordDraft, vectors: Float32Array, offset: number) => void;

/** Records [start, end) with their vectors (drawn from `rng`, which must be used in record order). */
export function buildBatch(
  layout: Layout,
  plan: CorpusPlan,
  rng: Rng,
  start: number,
  end: number,
  visit: RecordVisitor,
): IndexRecord[] {
  const vectors = new Float32Array((end - start) * DIM);
  const batch: IndexRecord[] = [];
  for (let i = start; i < end; i++) {
    const offset = (i - start) * DIM;
    const vector = vectors.subarray(offset, offset + DIM);
    clusteredVector(rng, layout.centroids, plan.centroidOf[i]!, vector);
    const draft = draftOf(layout, plan, i);
    visit(i, draft, vectors, offset);
    batch.push({ ...draft, vector });
  }
  return batch;
}
