/** Identities, roles and the account namespace policy (SPEC 1–2). Types only. */

export interface NamespacePolicy {
  readonly isolate_user_scope_by_agent: boolean;
  readonly isolate_agent_scope_by_user: boolean;
}

export const DEFAULT_POLICY: NamespacePolicy = Object.freeze({
  isolate_user_scope_by_agent: false,
  isolate_agent_scope_by_user: false,
});

export type Role = 'root' | 'admin' | 'user';

/** Whose view a request executes in. All three ids are validated (see ids.ts). */
export interface Identity {
  readonly account_id: string;
  readonly user_id: string;
  readonly agent_id: string;
}

/** The resolved request context: effective identity, real caller role and the account's policy. */
export interface RequestContext {
  readonly effective: Identity;
  readonly role: Role;
  readonly policy: NamespacePolicy;
}

export type Scope = 'resources' | 'user' | 'agent' | 'session';
export const SCOPES: readonly Scope[] = ['resources', 'user', 'agent', 'session'];
