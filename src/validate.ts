/**
 * Parsing untrusted input with zod: failures become 400 INVALID_ARGUMENT naming the failing fields.
 * Unknown fields pass (OpenViking's clients send fields we accept and ignore on purpose), but when a
 * body fails, its unknown fields are named too, with the known field they look like: a typo (`q` for
 * `query`) then says what went wrong instead of only "query: required". A body that passes may still
 * carry a typo of an optional field (`limt`): {@link unknownFieldGuesses} finds those for the HTTP
 * layer's warnings.
 */
import { z } from 'zod';
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
    const unknown = unknownFields(schema, value);
    const named = unknown.map((f) => `'${f.field}'`).join(', ');
    const message = unknown.length === 0 ? `invalid ${what}` : `invalid ${what} (unknown field ${named})`;
    throw new AppError('INVALID_ARGUMENT', message, { fields: [...fieldsOf(parsed.error), ...unknown] });
  }
  return parsed.data;
}

/**
 * Edit distance of two short names, a swap of neighbours counting as one edit (`mdoe` → `mode`):
 * field names are short, so a plain dynamic programme is enough.
 */
function distance(a: string, b: string): number {
  let before: number[] = [];
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min((row[j] ?? 0) + 1, (next[j - 1] ?? 0) + 1, (row[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, (before[j - 2] ?? 0) + 1);
      next.push(best);
    }
    before = row;
    row = next;
  }
  return row[b.length] ?? 0;
}

/** The known field an unknown one most likely meant: a prefix of it (`q` → `query`) or a near miss. */
function meant(field: string, known: readonly string[]): string | undefined {
  const lower = field.toLowerCase();
  const prefixed = known.find((k) => k.startsWith(lower));
  if (prefixed !== undefined) return prefixed;
  const scored = known.map((k) => ({ k, d: distance(lower, k) })).sort((x, y) => x.d - y.d)[0];
  return scored !== undefined && scored.d <= Math.max(1, Math.floor(field.length / 3)) ? scored.k : undefined;
}

/** Top-level fields of an object body that `schema` (an object schema) does not know, with a guess. */
export function unknownFieldGuesses(
  schema: z.ZodType,
  value: unknown,
): { field: string; guess: string | undefined }[] {
  if (!(schema instanceof z.ZodObject) || typeof value !== 'object' || value === null) return [];
  const known = Object.keys(schema.shape);
  return Object.keys(value)
    .filter((field) => !known.includes(field))
    .map((field) => ({ field, guess: meant(field, known) }));
}

function unknownFields(schema: z.ZodType, value: unknown): FieldError[] {
  return unknownFieldGuesses(schema, value).map(({ field, guess }) => ({
    field,
    message: guess === undefined ? 'unknown field' : `unknown field; did you mean '${guess}'?`,
  }));
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
