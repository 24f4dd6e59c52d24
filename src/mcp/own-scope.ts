/**
 * The `forget` tool's extra rule: it removes only below the caller's own user or agent scope root
 * (never resources, sessions or the roots themselves). The roots come from the policy core's visible
 * roots of the effective identity, so ROOT acting as a user is held to that user's scopes too.
 */
import { AppError } from '../errors.js';
import { evaluate, resolveUri, subtree, visibleRoots, type RequestContext } from '../policy/index.js';

/** The canonical URI of `raw` if it lies strictly inside an own scope root; else PERMISSION_DENIED. */
export function resolveOwnScope(ctx: RequestContext, raw: string): string {
  const resolved = resolveUri(raw, ctx.effective, ctx.policy);
  const own = visibleRoots(ctx.effective, ctx.policy).filter(
    (r) => r.scope === 'user' || r.scope === 'agent',
  );
  const inside = own.some(
    (root) => root.uri !== resolved.uri && evaluate(subtree(root.uri), { uri: resolved.uri }),
  );
  if (!inside) {
    throw new AppError(
      'PERMISSION_DENIED',
      "forget only removes inside the caller's own user or agent scope",
      {
        uri: resolved.uri,
      },
    );
  }
  return resolved.uri;
}
