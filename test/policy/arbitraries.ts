/** fast-check generators for policies, identities and URIs (valid, invalid and hostile). */
import fc from 'fast-check';
import type { NamespacePolicy, RequestContext, Role } from '../../src/policy/index.js';

export const ACCOUNTS = ['acme', 'globex'] as const;
const USERS = ['alice', 'bob', 'u_1'] as const;
const AGENTS = ['bot', 'helper', 'default'] as const;

export const policyArb: fc.Arbitrary<NamespacePolicy> = fc.record({
  isolate_user_scope_by_agent: fc.boolean(),
  isolate_agent_scope_by_user: fc.boolean(),
});

export const contextArb = (policies: Record<string, NamespacePolicy>): fc.Arbitrary<RequestContext> =>
  fc
    .record({
      role: fc.constantFrom<Role>('user', 'admin', 'root'),
      account_id: fc.constantFrom(...ACCOUNTS),
      user_id: fc.constantFrom(...USERS),
      agent_id: fc.constantFrom(...AGENTS),
    })
    .map(({ role, account_id, user_id, agent_id }) => ({
      role,
      policy: policies[account_id] as NamespacePolicy,
      effective: { account_id, user_id, agent_id },
    }));

/** A path segment: mostly ordinary, sometimes hostile (quotes, %, _, unicode, SQL) or reserved. */
const segmentArb = fc.oneof(
  fc.constantFrom('memories', 'skills', 'agent', 'user', 'docs', 'a', '.abstract.md', 'x.md'),
  fc.constantFrom(...USERS, ...AGENTS),
  fc.constantFrom("it's", "'; DROP TABLE records; --", '50%_off', '%', '_', 'ünï😀', '--', 'a b'),
  // Pairs that a LIKE pattern without escaping would confuse ('_' and '%' are wildcards there).
  fc.constantFrom('a_b', 'axb', '5%', '5%x', '5ab'),
  fc.string({ minLength: 1, maxLength: 6 }),
);

/** Raw URIs shaped like real ones (scope + segments), with random prefix and slash noise. */
export const rawUriArb: fc.Arbitrary<string> = fc
  .record({
    prefix: fc.constantFrom('viking://', '', '/', 'viking:///'),
    scope: fc.constantFrom('resources', 'user', 'agent', 'session', 'tmp'),
    segments: fc.array(segmentArb, { maxLength: 5 }),
    trailing: fc.constantFrom('', '/', '//'),
  })
  .map(({ prefix, scope, segments, trailing }) => `${prefix}${[scope, ...segments].join('/')}${trailing}`);
