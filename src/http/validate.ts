/** Parsing request input with zod: failures become 400 INVALID_ARGUMENT naming the failing fields. */
import type { z } from 'zod';
import { AppError } from '../errors.js';
import { fieldsOf } from './errors.js';

/**
 * Parses `value` with `schema`, or throws INVALID_ARGUMENT with `details.fields`.
 * @example const body = parseInput(z.object({ user_id: z.string() }), req.body);
 */
export function parseInput<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new AppError('INVALID_ARGUMENT', 'invalid request', { fields: fieldsOf(parsed.error) });
  }
  return parsed.data;
}
