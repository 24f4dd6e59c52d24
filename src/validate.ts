/** Parsing untrusted input with zod: failures become 400 INVALID_ARGUMENT naming the failing fields. */
import type { z } from 'zod';
import { AppError, type FieldError } from './errors.js';

/** The failing fields of a zod error, for `details.fields`. */
export function fieldsOf(error: z.ZodError): FieldError[] {
  return error.issues.map((issue) => ({ field: issue.path.map(String).join('.'), message: issue.message }));
}

/**
 * Parses `value` with `schema`, or throws INVALID_ARGUMENT with `details.fields`.
 * @example const body = parseInput(z.object({ user_id: z.string() }), req.body);
 */
export function parseInput<T extends z.ZodType>(schema: T, value: unknown, what = 'request'): z.output<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new AppError('INVALID_ARGUMENT', `invalid ${what}`, { fields: fieldsOf(parsed.error) });
  }
  return parsed.data;
}

/**
 * Drops undefined values so optional fields stay absent (exactOptionalPropertyTypes).
 * @example defined({ a: 1, b: undefined }) // { a: 1 }
 */
export function defined<T extends Record<string, unknown>>(
  value: T,
): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
}
