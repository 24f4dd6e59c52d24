/**
 * Query and body fields shared by the filesystem routes (fs.ts) and the grep/glob routes (grep.ts).
 */
import { z } from 'zod';

/** A boolean given as JSON or as a query-string word (`true`, `1`, `yes`, …). */
export const flag = z.union([z.boolean(), z.stringbool()]);
/** A non-negative count (limits, offsets). */
export const count = z.coerce.number().int().min(0).max(1_000_000);
export const uri = z.string().min(1);
