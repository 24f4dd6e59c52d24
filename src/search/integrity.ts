/**
 * The post-retrieval check (SPEC 10 step 6) and its count: every hit is re-checked in memory before
 * it is returned, and each one dropped is an integrity error — logged, told to the metrics and
 * counted here for the system status (ROOT's `integrity_errors`).
 */
import type { Logger } from '../log.js';
import { evaluate, resolveUri, type Expr, type RequestContext } from '../policy/index.js';
import type { IndexHit } from './types.js';

export class IntegrityCheck {
  private dropped = 0;

  constructor(
    private readonly log: Logger,
    /** Told about every hit dropped (the metrics counter). */
    private readonly onError?: (count: number) => void,
  ) {}

  /** Hits dropped by the check since the server started. */
  get errors(): number {
    return this.dropped;
  }

  /**
   * Whether `hit` may be returned: it must satisfy the request's filter (visibility included) on its
   * stored fields, and those fields must be the ones its URI derives under the account's policy — so
   * the visibility that passed is also the visibility of the URI itself.
   */
  verify(ctx: RequestContext, filter: Expr, hit: IndexHit): boolean {
    const ok = evaluate(filter, hit) && derivesItsFields(ctx, hit);
    if (!ok) {
      this.dropped += 1;
      this.onError?.(1);
      this.log.error(
        { uri: hit.uri, account_id: hit.account_id, id: hit.id },
        'search integrity error: hit dropped',
      );
    }
    return ok;
  }
}

function derivesItsFields(ctx: RequestContext, hit: IndexHit): boolean {
  try {
    const derived = resolveUri(hit.uri, null, ctx.policy);
    return (
      derived.uri === hit.uri &&
      (derived.scope ?? '') === hit.scope &&
      derived.owner_user_id === hit.owner_user_id &&
      derived.owner_agent_id === hit.owner_agent_id
    );
  } catch {
    return false;
  }
}
