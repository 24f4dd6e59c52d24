/** Laws of the policy core, checked with fast-check (and a real LanceDB table for the compiler). */
import fc from 'fast-check';
import { AppError } from '../../src/errors.js';
import {
  and,
  canRead,
  compileWhere,
  evaluate,
  listableAncestors,
  recordOf,
  resolveUri,
  targetExpr,
  TRUE,
  visibilityExpr,
  visibleRoots,
  type NamespacePolicy,
  type ResolvedUri,
} from '../../src/policy/index.js';
import { createTempTable, type Row } from '../helpers/lance-table.js';
import { ACCOUNTS, contextArb, policyArb, rawUriArb } from './arbitraries.js';

const someone = { account_id: 'acme', user_id: 'alice', agent_id: 'bot' };

function tryResolve(raw: string, policy: NamespacePolicy, identity = someone): ResolvedUri | null {
  try {
    return resolveUri(raw, identity, policy);
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    expect(['INVALID_URI']).toContain((e as AppError).code);
    return null;
  }
}

test('canonicalisation is idempotent, also without an identity', () => {
  fc.assert(
    fc.property(rawUriArb, policyArb, (raw, policy) => {
      const r = tryResolve(raw, policy);
      if (r === null) return;
      expect(resolveUri(r.uri, someone, policy).uri).toBe(r.uri);
      expect(resolveUri(r.uri, null, policy)).toEqual(r);
    }),
    { numRuns: 2000 },
  );
});

function underOrEqual(uri: string, root: string): boolean {
  return uri === root || uri.startsWith(`${root}/`);
}

test('a URI is visible iff it lies under a visible root (or is a folder above one)', () => {
  fc.assert(
    fc.property(
      rawUriArb,
      policyArb,
      contextArb({
        acme: { isolate_user_scope_by_agent: false, isolate_agent_scope_by_user: false },
        globex: { isolate_user_scope_by_agent: false, isolate_agent_scope_by_user: false },
      }),
      (raw, policy, base) => {
        const ctx = { ...base, policy, role: base.role === 'root' ? ('user' as const) : base.role };
        const r = tryResolve(raw, policy, ctx.effective);
        if (r === null) return;
        const roots = visibleRoots(ctx.effective, policy).map((v) => v.uri);
        const expected =
          roots.some((root) => underOrEqual(r.uri, root)) ||
          listableAncestors(ctx.effective, policy).includes(r.uri);
        expect(canRead(ctx, r)).toBe(expected);
        // A container or bare root is readable exactly when a visible root lies at or below it.
        if (r.is_container) {
          expect(expected).toBe(r.uri === 'viking://' || roots.some((root) => underOrEqual(root, r.uri)));
        }
      },
    ),
    { numRuns: 3000 },
  );
});

interface World {
  policies: Record<string, NamespacePolicy>;
  rows: Row[];
}

const worldArb: fc.Arbitrary<World> = fc
  .record({
    policies: fc.record({ acme: policyArb, globex: policyArb }),
    uris: fc.array(fc.tuple(fc.constantFrom(...ACCOUNTS), rawUriArb), { minLength: 1, maxLength: 60 }),
  })
  .map(({ policies, uris }) => {
    const rows: Row[] = [];
    for (const [i, [account_id, raw]] of uris.entries()) {
      const policy = policies[account_id];
      let r: ResolvedUri;
      try {
        r = resolveUri(raw, someone, policy);
      } catch {
        continue;
      }
      const rec = recordOf(account_id, r);
      rows.push({
        id: `r${i}`,
        account_id,
        scope: rec.scope as string,
        uri: r.uri,
        owner_user_id: r.owner_user_id,
        owner_agent_id: r.owner_agent_id,
      });
    }
    return { policies, rows };
  });

test('the evaluator and the compiled LanceDB filter select the same rows', async () => {
  await fc.assert(
    fc.asyncProperty(
      worldArb.chain((world) =>
        fc.tuple(
          fc.constant(world),
          fc.array(fc.tuple(contextArb(world.policies), fc.option(rawUriArb, { nil: null })), {
            minLength: 1,
            maxLength: 8,
          }),
        ),
      ),
      async ([world, queries]) => {
        const table = await createTempTable(world.rows);
        try {
          for (const [ctx, target] of queries) {
            const resolved = target === null ? null : tryResolve(target, ctx.policy, ctx.effective);
            const expr = and(visibilityExpr(ctx), resolved === null ? TRUE : targetExpr(resolved));
            const expected = new Set(world.rows.filter((row) => evaluate(expr, row)).map((row) => row.id));
            expect(await table.ids(compileWhere(expr))).toEqual(expected);
          }
        } finally {
          table.close();
        }
      },
    ),
    { numRuns: 150 },
  );
});
