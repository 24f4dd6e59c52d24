/**
 * Every vector plan returns the exact top k: on a small multi-tenant corpus (all four namespace
 * policies, every scope, folder records and messages), the memory plan, the LanceDB plan and a brute
 * force over the records the filter admits (computed here with the policy core's evaluator) agree,
 * for random identities, targets, options and k. Also: records written after the mirror was loaded,
 * and a store reopened on existing data, are found; a mirror over its budget falls back to LanceDB,
 * and so does one whose vector file fails.
 */
import fc from 'fast-check';
import { fileRecords, messageRecords, type IndexRecord } from '../../src/indexing/records.js';
import { IndexStore } from '../../src/index/store.js';
import {
  and,
  cmp,
  eq,
  evaluate,
  isIn,
  or,
  resolveUri,
  targetExpr,
  visibilityExpr,
  type Expr,
  type NamespacePolicy,
  type RequestContext,
  type Role,
} from '../../src/policy/index.js';
import { closeSync, readdirSync, readlinkSync } from 'node:fs';
import { HashEmbedder } from '../helpers/test-embedder.js';
import { tempDir } from '../helpers/temp-dir.js';
import { vectorFileDescriptors } from '../helpers/vector-files.js';

const DIM = 16;
const identity = new HashEmbedder(DIM);
const POLICIES: Record<string, NamespacePolicy> = {
  ff: { isolate_user_scope_by_agent: false, isolate_agent_scope_by_user: false },
  tf: { isolate_user_scope_by_agent: true, isolate_agent_scope_by_user: false },
  ft: { isolate_user_scope_by_agent: false, isolate_agent_scope_by_user: true },
  tt: { isolate_user_scope_by_agent: true, isolate_agent_scope_by_user: true },
};
const ACCOUNTS = Object.keys(POLICIES);
const USERS = ['alice', 'bob'];
const AGENTS = ['bot', 'helper'];

let seed = 11;
function random(): number {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed / 2 ** 32;
}
function randomVector(): Float32Array {
  return Float32Array.from({ length: DIM }, () => random() * 2 - 1);
}

/** Canonical URIs of every kind an account holds under its policy. */
function urisOf(policy: NamespacePolicy): string[] {
  const uris: string[] = [
    'viking://resources/docs/a.md',
    'viking://resources/b.md',
    'viking://resources/docs',
  ];
  for (const user of USERS)
    for (const agent of AGENTS) {
      const u = policy.isolate_user_scope_by_agent ? `user/${user}/agent/${agent}` : `user/${user}`;
      const a = policy.isolate_agent_scope_by_user ? `agent/${agent}/user/${user}` : `agent/${agent}`;
      uris.push(`viking://${u}/memories/m-${agent}.md`, `viking://${u}/notes/n-${agent}.md`);
      uris.push(`viking://${a}/skills/s-${user}.md`, `viking://${a}/memories/c-${user}.md`);
    }
  return [...new Set(uris)];
}

function corpus(): IndexRecord[] {
  const records: IndexRecord[] = [];
  ACCOUNTS.forEach((account, a) => {
    const policy = POLICIES[account] as NamespacePolicy;
    for (const [i, uri] of urisOf(policy).entries()) {
      const times = { created_at: i, updated_at: 1000 * a + i };
      for (const d of fileRecords(account, uri, `text ${i}`, policy, times))
        records.push({ ...d, vector: randomVector() });
    }
    for (const s of ['s1', 's2'])
      for (let m = 0; m < 3; m++) {
        const message = { role: 'user', role_id: 'alice', text: `message ${m}`, created_at: m };
        for (const d of messageRecords(account, s, `msg_${s}_${m}`, message, policy))
          records.push({ ...d, vector: randomVector() });
      }
  });
  return records;
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += (a[i] ?? 0) * (b[i] ?? 0);
    na += (a[i] ?? 0) ** 2;
    nb += (b[i] ?? 0) ** 2;
  }
  return dot / Math.sqrt(na * nb);
}

/** Exact top k by brute force over the records the filter admits (by id). */
function bruteForce(records: readonly IndexRecord[], filter: Expr, query: Float32Array, k: number): string[] {
  return records
    .filter((r) => evaluate(filter, r))
    .map((r) => ({ id: r.id, score: cosine(query, r.vector) }))
    .sort((x, y) => y.score - x.score)
    .slice(0, k)
    .map((x) => x.id);
}

const records = corpus();
const byId = new Map(records.map((r) => [r.id, r]));

/** Same length and, rank by rank, the same similarity (float32 and float64 may order exact ties differently). */
function expectTopK(got: readonly string[], exact: readonly string[], query: Float32Array): void {
  const score = (id: string | undefined) => cosine(query, (byId.get(id ?? '') as IndexRecord).vector);
  expect(got).toHaveLength(exact.length);
  got.forEach((id, i) => expect(Math.abs(score(id) - score(exact[i]))).toBeLessThan(1e-5));
}

const requestArb = fc.record({
  role: fc.constantFrom<Role>('user', 'admin', 'root'),
  account: fc.constantFrom(...ACCOUNTS),
  user: fc.constantFrom(...USERS),
  agent: fc.constantFrom(...AGENTS),
  target: fc.constantFrom(
    null,
    'viking://resources',
    'viking://resources/docs',
    'viking://session/s1',
    'viking://user/memories',
    'viking://agent/skills',
    'viking://user',
  ),
  types: fc.option(fc.subarray(['resource', 'memory', 'skill', 'session'], { minLength: 1 })),
  since: fc.option(fc.integer({ min: 0, max: 4000 })),
  k: fc.integer({ min: 1, max: 30 }),
  seed: fc.integer({ min: 1, max: 2 ** 30 }),
});

type Request = typeof requestArb extends fc.Arbitrary<infer T> ? T : never;

function filterOf(r: Request): Expr {
  const policy = POLICIES[r.account] as NamespacePolicy;
  const ctx: RequestContext = {
    role: r.role,
    policy,
    effective: { account_id: r.account, user_id: r.user, agent_id: r.agent },
  };
  const target = r.target === null ? null : resolveUri(r.target, ctx.effective, policy);
  return and(
    visibilityExpr(ctx),
    target === null ? and() : targetExpr(target),
    r.types === null ? and() : isIn('context_type', r.types),
    r.since === null ? and() : cmp('updated_at', '>=', r.since),
  );
}

let dir: ReturnType<typeof tempDir>;
let store: IndexStore;

beforeAll(async () => {
  dir = tempDir('vs-plans-');
  store = await IndexStore.open({ uri: dir.path, embedder: identity, memoryBudgetBytes: 16 * 2 ** 20 });
  await store.whenLoaded();
  await store.upsert(records);
});

afterAll(async () => {
  await store.close();
  dir.remove();
});

test('the memory plan, the LanceDB plan and brute force return the same top k', async () => {
  await fc.assert(
    fc.asyncProperty(requestArb, async (r) => {
      const filter = filterOf(r);
      seed = r.seed;
      const query = randomVector();
      const exact = bruteForce(records, filter, query, r.k);
      const memory = await store.vectorSearch(query, filter, r.k);
      const lance = await store.vectorSearch(query, filter, r.k, 'baseline');
      expect(memory.plan.name).toBe('memory');
      expect(lance.plan.name).toBe('lance-exact');
      expectTopK(
        memory.rows.map((h) => h.id),
        exact,
        query,
      );
      expectTopK(
        lance.rows.map((h) => h.id),
        exact,
        query,
      );
      expect(memory.plan.matching).toBe(records.filter((x) => evaluate(filter, x)).length);
    }),
    { numRuns: 150 },
  );
});

test('filters naming URIs (the deletes of single files) count and find the same records as brute force', async () => {
  const uris = [...new Set(records.map((r) => r.uri))];
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.record({
          uri: fc.constantFrom(...uris, 'viking://resources/none.md'),
          account: fc.constantFrom(...ACCOUNTS),
          level: fc.integer({ min: 0, max: 2 }),
        }),
        { minLength: 1, maxLength: 6 },
      ),
      fc.boolean(),
      async (terms, asList) => {
        const filter = asList
          ? and(
              eq('account_id', terms[0]?.account ?? 'ff'),
              isIn(
                'uri',
                terms.map((t) => t.uri),
              ),
            )
          : or(
              ...terms.map((t) =>
                and(eq('account_id', t.account), eq('uri', t.uri), cmp('level', '>=', t.level)),
              ),
            );
        expect(await store.countRows(filter)).toBe(records.filter((r) => evaluate(filter, r)).length);
      },
    ),
    { numRuns: 100 },
  );
});

test('records written after the mirror loaded are found, and a reopened store loads what is on disk', async () => {
  const policy = POLICIES['tt'] as NamespacePolicy;
  const late = fileRecords('tt', 'viking://resources/late.md', 'late', policy, {
    created_at: 1,
    updated_at: 1,
  }).map((d) => ({ ...d, vector: randomVector() }));
  await store.upsert(late);
  const filter = visibilityExpr({
    role: 'root',
    policy,
    effective: { account_id: 'tt', user_id: 'alice', agent_id: 'bot' },
  });
  const target = late[0]?.vector as Float32Array;
  const hits = await store.vectorSearch(target, filter, 1);
  expect(hits.rows.map((h) => h.uri)).toEqual(['viking://resources/late.md']);
  const again = await IndexStore.open({ uri: dir.path, embedder: identity, memoryBudgetBytes: 16 * 2 ** 20 });
  await again.whenLoaded();
  expect(again.memoryStatus()).toMatchObject({ state: 'ready', records: records.length + 1 });
  const reopened = await again.vectorSearch(target, filter, 1);
  expect(reopened.plan.name).toBe('memory');
  expect(reopened.rows.map((h) => h.uri)).toEqual(['viking://resources/late.md']);
  // The loaded rows carry every field exactly as the rows mirrored at write time.
  for (const account of ACCOUNTS) {
    const all = eq('account_id', account);
    const loaded = await again.vectorSearch(target, all, 100);
    const written = await store.vectorSearch(target, all, 100);
    expect(loaded.rows).toEqual(written.rows);
    expect(loaded.rows.length).toBeGreaterThan(20);
  }
  await again.close();
});

test('a mirror over its budget gives up and LanceDB answers, with the same results', async () => {
  const small = await IndexStore.open({ uri: dir.path, embedder: identity, memoryBudgetBytes: 64 * 1024 });
  await small.whenLoaded();
  expect(small.memoryStatus()).toMatchObject({ state: 'off', reason: 'over budget' });
  const filter = visibilityExpr({
    role: 'user',
    policy: POLICIES['ff'] as NamespacePolicy,
    effective: { account_id: 'ff', user_id: 'alice', agent_id: 'bot' },
  });
  const query = randomVector();
  const result = await small.vectorSearch(query, filter, 5);
  expect(result.plan.name).toBe('lance-exact');
  expect(result.rows.map((h) => h.id)).toEqual(bruteForce(records, filter, query, 5));
  await small.close();
});

test('the vector file is in no directory while the mirror answers; when it fails, LanceDB answers', async () => {
  const vectors = tempDir('vs-vectors-');
  const opened = await IndexStore.open({
    uri: dir.path,
    embedder: identity,
    memoryBudgetBytes: 16 * 2 ** 20,
    vectorDir: vectors.path,
  });
  try {
    await opened.whenLoaded();
    expect(opened.memoryStatus()).toMatchObject({ state: 'ready', vector_file_mb: expect.any(Number) });
    const filter = visibilityExpr({
      role: 'root',
      policy: POLICIES['ft'] as NamespacePolicy,
      effective: { account_id: 'ft', user_id: 'bob', agent_id: 'helper' },
    });
    const query = randomVector();
    const expected = bruteForce(records, filter, query, 7);
    const memory = await opened.vectorSearch(query, filter, 7);
    expect(memory.plan.name).toBe('memory');
    expect(memory.rows.map((h) => h.id)).toEqual(expected);
    // Unlinked at once: the directory is empty, only the open descriptor names the file.
    expect(readdirSync(vectors.path)).toEqual([]);
    const fds = vectorFileDescriptors(vectors.path);
    expect(fds).toHaveLength(1);
    expect(readlinkSync(`/proc/self/fd/${fds[0]}`)).toMatch(/ \(deleted\)$/);
    // The file fails under the mirror (its descriptor closed): the search is answered by LanceDB.
    closeSync(fds[0] as number);
    const after = await opened.vectorSearch(query, filter, 7);
    expect(after.plan.name).toBe('lance-exact');
    expect(after.rows.map((h) => h.id)).toEqual(expected);
    expect(opened.memoryStatus()).toMatchObject({ state: 'off', reason: 'vector file failed' });
  } finally {
    await opened.close();
    vectors.remove();
  }
});
