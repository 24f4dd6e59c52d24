/** Id validation (SPEC 1) and reserved ids (SPEC 3.4). */
import { AppError } from '../errors.js';

const ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

/** Words that, as the second segment of a user/agent URI, mean "my own scope" (SPEC 3.3). */
export const USER_SHORTHAND: ReadonlySet<string> = new Set([
  'memories',
  'profile.md',
  '.abstract.md',
  '.overview.md',
]);
export const AGENT_SHORTHAND: ReadonlySet<string> = new Set([
  'memories',
  'skills',
  'instructions',
  'workspaces',
  '.abstract.md',
  '.overview.md',
]);

export function isValidId(value: unknown): value is string {
  return typeof value === 'string' && ID_PATTERN.test(value);
}

/**
 * Returns `value` if it is a valid id, else throws `INVALID_ARGUMENT` naming `field`.
 * @example validateId('alice', 'user_id') // 'alice'
 */
export function validateId(value: unknown, field: string): string {
  if (!isValidId(value)) {
    throw new AppError('INVALID_ARGUMENT', `${field} must match ${ID_PATTERN.source}`, { field });
  }
  return value;
}

/** A user id that can be registered: valid and not a user shorthand word. */
export function validateUserIdForRegistration(value: unknown, field = 'user_id'): string {
  const id = validateId(value, field);
  if (USER_SHORTHAND.has(id)) {
    throw new AppError('INVALID_ARGUMENT', `${field} '${id}' is reserved`, { field });
  }
  return id;
}

/** An agent id that can be used: valid and not an agent shorthand word. */
export function validateAgentId(value: unknown, field = 'agent_id'): string {
  const id = validateId(value, field);
  if (AGENT_SHORTHAND.has(id)) {
    throw new AppError('INVALID_ARGUMENT', `${field} '${id}' is reserved`, { field });
  }
  return id;
}
