/**
 * Visibility (SPEC 4) — defined once, here. An identity may read:
 *
 *   account_id = its account AND (
 *       uri IN (its listable ancestors: viking://, viking://user, viking://agent, its containers)
 *    OR for each visible root R (resources, session, its user scope root, its agent scope root):
 *         scope = R.scope AND owner_user_id = R.owner_user_id AND owner_agent_id = R.owner_agent_id
 *         AND uri in the subtree of R )
 *
 * ROOT reads everything in the account it acts in. The filesystem evaluates this expression on the
 * owner tuple of a URI ({@link canRead}); search compiles the same expression to a LanceDB filter.
 */
import { AppError } from '../errors.js';
import type { FilterRecord } from './columns.js';
import { and, eq, evaluate, isIn, or, subtree, TRUE, type Expr } from './expr.js';
import type { Identity, NamespacePolicy, RequestContext, Scope } from './types.js';
import { URI_PREFIX, agentRootSegments, resolveUri, userRootSegments, type ResolvedUri } from './uri.js';

/** A subtree an identity may read, with the owner tuple every URI inside it has. */
export interface VisibleRoot {
  readonly uri: string;
  readonly scope: Scope;
  readonly owner_user_id: string | null;
  readonly owner_agent_id: string | null;
}

function rootOf(segments: string[], policy: NamespacePolicy): VisibleRoot {
  const r = resolveUri(segments.join('/'), null, policy);
  if (r.scope === null) throw new AppError('INTERNAL', 'a visible root is never the namespace root');
  return {
    uri: r.uri,
    scope: r.scope,
    owner_user_id: r.owner_user_id,
    owner_agent_id: r.owner_agent_id,
  };
}

/** The identity's visible roots: exactly the subtrees holding records it may see (SPEC 4). */
export function visibleRoots(identity: Identity, policy: NamespacePolicy): VisibleRoot[] {
  return [
    rootOf(['resources'], policy),
    rootOf(['session'], policy),
    rootOf(userRootSegments(identity, policy), policy),
    rootOf(agentRootSegments(identity, policy), policy),
  ];
}

/** Folders above the visible roots that the identity may list (they only show readable children). */
export function listableAncestors(identity: Identity, policy: NamespacePolicy): string[] {
  const ancestors = new Set<string>([URI_PREFIX]);
  for (const root of visibleRoots(identity, policy)) {
    const segments = root.uri.slice(URI_PREFIX.length).split('/');
    for (let n = 1; n < segments.length; n++) ancestors.add(`viking://${segments.slice(0, n).join('/')}`);
  }
  return [...ancestors];
}

function grant(root: VisibleRoot): Expr {
  return and(
    eq('scope', root.scope),
    eq('owner_user_id', root.owner_user_id),
    eq('owner_agent_id', root.owner_agent_id),
    subtree(root.uri),
  );
}

/** The visibility expression of a request context (SPEC 4.1). */
export function visibilityExpr(ctx: RequestContext): Expr {
  const account = eq('account_id', ctx.effective.account_id);
  if (ctx.role === 'root') return account;
  const { effective, policy } = ctx;
  return and(
    account,
    or(isIn('uri', listableAncestors(effective, policy)), ...visibleRoots(effective, policy).map(grant)),
  );
}

/** Restriction to the subtree of a resolved target URI. */
export function targetExpr(target: ResolvedUri): Expr {
  return target.segments.length === 0 ? TRUE : subtree(target.uri);
}

/** The filter record of a resolved URI in an account: the fields visibility reads. */
export function recordOf(account_id: string, resolved: ResolvedUri): FilterRecord {
  return {
    account_id,
    scope: resolved.scope ?? '',
    uri: resolved.uri,
    owner_user_id: resolved.owner_user_id,
    owner_agent_id: resolved.owner_agent_id,
  };
}

/** Whether the context may read a resolved URI in its own account. */
export function canRead(ctx: RequestContext, resolved: ResolvedUri): boolean {
  return evaluate(visibilityExpr(ctx), recordOf(ctx.effective.account_id, resolved));
}
