/**
 * The parts of a search's filter that come from the request (SPEC 10 steps 2 and 4): the target
 * subtrees, resolved and checked against the caller's visibility, and the caller's options. The
 * service ANDs them with the visibility expression; nothing here writes visibility itself.
 */
import { AppError } from '../errors.js';
import {
  and,
  canRead,
  cmp,
  isIn,
  levelIs,
  or,
  resolveUri,
  type Expr,
  type RequestContext,
  type ResolvedUri,
} from '../policy/index.js';
import type { SearchRequest } from './types.js';

/** SPEC 10 step 2 for each target: normalise, expand, shape-check (400), visibility-check (403). */
export function resolveTargets(
  ctx: RequestContext,
  raw: string | readonly string[] | undefined,
): ResolvedUri[] {
  const list = raw === undefined ? [] : typeof raw === 'string' ? [raw] : raw;
  return list
    .filter((uri) => uri !== '')
    .map((uri) => {
      const target = resolveUri(uri, ctx.effective, ctx.policy);
      if (!canRead(ctx, target))
        throw new AppError('PERMISSION_DENIED', 'target_uri is not visible to the caller');
      return target;
    });
}

/** SPEC 10 step 4: context types, the time window and the record levels, ANDed. */
export function optionsExpr(request: SearchRequest): Expr {
  const time = request.time_field ?? 'updated_at';
  const levels = request.levels ?? [];
  return and(
    request.context_type === undefined ? and() : isIn('context_type', request.context_type),
    request.since === undefined ? and() : cmp(time, '>=', request.since),
    request.until === undefined ? and() : cmp(time, '<=', request.until),
    levels.length === 0 ? and() : or(...levels.map(levelIs)),
  );
}
