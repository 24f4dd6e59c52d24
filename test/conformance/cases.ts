/**
 * The visibility conformance table (SPEC 3–4): the repository's copy of the shared contract's cases
 * (test/conformance/cases/, kept equal to ../shared/conformance by copy.test.ts), its types and
 * grouping helpers, and the golden SQL the policy core compiles for each (policy, identity) of the table.
 */
import { readFileSync } from 'node:fs';
import type { NamespacePolicy, RequestContext, Role } from '../../src/policy/index.js';

export interface Identity {
  readonly role: Role;
  readonly user_id: string;
  readonly agent_id: string;
}

export interface Resolved {
  readonly canonical: string;
  readonly scope: string;
  readonly owner_user_id: string | null;
  readonly owner_agent_id: string | null;
  readonly is_container: boolean;
  readonly readable: boolean;
}

export interface Case {
  readonly policy: NamespacePolicy;
  readonly identity: Identity;
  readonly uri: string;
  readonly expect: { readonly error: string } | Resolved;
}

/** The repository's copy of ../shared/conformance: what the runners read (the repository stands alone). */
export const CASES_DIR = new URL('./cases/', import.meta.url);
/** The shared contract, next to the repository when it is checked out in the project's layout. */
export const SHARED_DIR = new URL('../../../shared/conformance/', import.meta.url);
export const CASES_FILE = new URL('namespace-cases.json', CASES_DIR);
export const GOLDEN_SQL_FILE = new URL('./golden-sql.json', import.meta.url);

export const cases: readonly Case[] = (JSON.parse(readFileSync(CASES_FILE, 'utf8')) as { cases: Case[] })
  .cases;

export function isValid(c: Case): c is Case & { expect: Resolved } {
  return !('error' in c.expect);
}

/** `p01` for a policy that isolates the agent scope by user, and so on. */
export function policyKey(policy: NamespacePolicy): string {
  return `p${Number(policy.isolate_user_scope_by_agent)}${Number(policy.isolate_agent_scope_by_user)}`;
}

export function groupKey(c: Case): string {
  return `${policyKey(c.policy)} ${c.identity.role} ${c.identity.user_id}/${c.identity.agent_id}`;
}

export function label(c: Case, i: number): string {
  return `#${i} ${groupKey(c)} ${JSON.stringify(c.uri.slice(0, 70))}`;
}

export function contextOf(c: Pick<Case, 'policy' | 'identity'>, account_id: string): RequestContext {
  const { role, user_id, agent_id } = c.identity;
  return { role, policy: c.policy, effective: { account_id, user_id, agent_id } };
}

/** The cases by (policy, identity), each with its index in the table. */
export function groups(): Map<string, Array<{ c: Case; i: number }>> {
  const out = new Map<string, Array<{ c: Case; i: number }>>();
  cases.forEach((c, i) => out.set(groupKey(c), [...(out.get(groupKey(c)) ?? []), { c, i }]));
  return out;
}
