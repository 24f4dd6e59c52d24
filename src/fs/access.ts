/**
 * Permission decisions of the filesystem, all taken through the policy core: a URI is resolved
 * (normalise → shorthand → shape: 400), then checked with `canRead` (403). Writes add the SPEC 4
 * rules: only ROOT writes into the bare roots and containers, nobody writes sessions through here.
 */
import { AppError } from '../errors.js';
import {
  agentRootSegments,
  canRead,
  resolveUri,
  userRootSegments,
  type RequestContext,
  type ResolvedUri,
} from '../policy/index.js';
import { isInternalName } from './names.js';

function denied(resolved: ResolvedUri, message: string): AppError {
  return new AppError('PERMISSION_DENIED', message, { uri: resolved.uri });
}

/** Resolves a raw URI for the context and requires read permission. */
export function resolveReadable(ctx: RequestContext, raw: unknown): ResolvedUri {
  const resolved = resolveUri(raw, ctx.effective, ctx.policy);
  if (!canRead(ctx, resolved)) throw denied(resolved, 'not visible to the caller');
  return resolved;
}

/** Resolves a canonical URI found on disk; null if it has no valid shape (never listed). */
export function tryResolveCanonical(ctx: RequestContext, uri: string): ResolvedUri | null {
  try {
    return resolveUri(uri, null, ctx.policy);
  } catch {
    return null;
  }
}

/**
 * Whether `resolved` is a user or agent scope root (`viking://user/U`, `viking://agent/A/user/U`, …):
 * the URI the policy core builds from the URI's own owner tuple.
 */
export function isScopeRoot(ctx: RequestContext, resolved: ResolvedUri): boolean {
  const { scope, owner_user_id, owner_agent_id } = resolved;
  if (scope !== 'user' && scope !== 'agent') return false;
  const owner = {
    account_id: ctx.effective.account_id,
    user_id: owner_user_id ?? '',
    agent_id: owner_agent_id ?? '',
  };
  const root = scope === 'user' ? userRootSegments(owner, ctx.policy) : agentRootSegments(owner, ctx.policy);
  return root.join('/') === resolved.segments.join('/');
}

/**
 * Resolves a URI to be written and checks its shape only (400). A name that could never be listed
 * (temp or lock file) counts as a shape error, so it is reported before visibility.
 */
export function resolveWriteShape(ctx: RequestContext, raw: unknown): ResolvedUri {
  const resolved = resolveUri(raw, ctx.effective, ctx.policy);
  if (resolved.segments.some((s) => isInternalName(s, false))) {
    throw new AppError('INVALID_URI', 'reserved file name', { uri: resolved.uri });
  }
  return resolved;
}

/**
 * Resolves a raw URI and requires write permission: read permission, not a session file, not a
 * bare root or container (ROOT excepted), and no internal name as a segment.
 */
export function resolveWritable(ctx: RequestContext, raw: unknown): ResolvedUri {
  const resolved = resolveWriteShape(ctx, raw);
  if (!canRead(ctx, resolved)) throw denied(resolved, 'not visible to the caller');
  if (resolved.scope === 'session') {
    throw denied(resolved, 'session files are written only through the session API');
  }
  if (ctx.role !== 'root' && resolved.is_container) {
    throw denied(resolved, 'only ROOT writes directly into a root or container');
  }
  return resolved;
}

/**
 * Resolves a URI that is removed or moved away: writable, and (for everyone but ROOT) not a scope root,
 * since removing it means writing into `viking://user`/`viking://agent` or a container. Nobody removes
 * the account root or a bare scope root, which hold the account's structure.
 */
export function resolveRemovable(ctx: RequestContext, raw: unknown): ResolvedUri {
  const resolved = resolveWritable(ctx, raw);
  if (resolved.segments.length <= 1) throw denied(resolved, 'the account structure cannot be removed');
  if (ctx.role !== 'root' && isScopeRoot(ctx, resolved)) {
    throw denied(resolved, 'only ROOT removes a scope root');
  }
  return resolved;
}

/** Whether two URIs have the same scope owner (SPEC 4, mv). */
export function sameOwner(a: ResolvedUri, b: ResolvedUri): boolean {
  return a.scope === b.scope && a.owner_user_id === b.owner_user_id && a.owner_agent_id === b.owner_agent_id;
}
