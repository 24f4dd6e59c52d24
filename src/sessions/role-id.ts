/**
 * Who a message is from (SPEC 8.1): the `role_id` rules per caller role and auth mode. Pure apart
 * from the registered-user lookup, which the caller injects.
 */
import type { AuthMode } from '../config.js';
import { AppError } from '../errors.js';
import { validateId, type RequestContext } from '../policy/index.js';
import type { AddMessageBody } from './schema.js';

export type { AuthMode } from '../config.js';

export interface RoleIdInput {
  readonly ctx: RequestContext;
  readonly authMode: AuthMode;
  readonly body: AddMessageBody;
  /** Whether the raw request body contained the key `role_id` at all (even with null). */
  readonly bodyHasRoleId: boolean;
  readonly isRegisteredUser: (account_id: string, user_id: string) => Promise<boolean>;
}

/** ROOT, ADMIN and trusted-mode callers may name the actor; a USER key may not. */
export function mayPassRoleId(ctx: RequestContext, authMode: AuthMode): boolean {
  return ctx.role === 'root' || ctx.role === 'admin' || authMode === 'trusted';
}

function derived(input: RoleIdInput): string | null {
  const { ctx, body } = input;
  switch (body.role) {
    case 'user':
      return ctx.effective.user_id;
    case 'assistant':
      return ctx.effective.agent_id;
    case 'system':
    case 'tool':
      return null;
  }
}

/**
 * The final `role_id` of a new message, or null for roles without an actor.
 * Throws `INVALID_ARGUMENT` when a USER key passes `role_id`, when an id is malformed, or when a
 * `user` message in api_key mode names an unregistered user (ROOT excepted).
 */
export async function resolveRoleId(input: RoleIdInput): Promise<string | null> {
  const { ctx, authMode, body } = input;
  const privileged = mayPassRoleId(ctx, authMode);
  if (!privileged && input.bodyHasRoleId) {
    throw new AppError('INVALID_ARGUMENT', 'role_id may not be set by a user key', { field: 'role_id' });
  }
  const given = privileged ? (body.role_id ?? null) : null;
  if (given !== null) validateId(given, 'role_id');
  if (body.role !== 'user' && body.role !== 'assistant') return null;
  const roleId = validateId(given ?? derived(input), 'role_id');
  if (body.role === 'user' && authMode === 'api_key' && ctx.role !== 'root') {
    if (!(await input.isRegisteredUser(ctx.effective.account_id, roleId))) {
      throw new AppError('INVALID_ARGUMENT', `role_id '${roleId}' is not a user of this account`, {
        field: 'role_id',
      });
    }
  }
  return roleId;
}
