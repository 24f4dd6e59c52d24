/**
 * What a turn used (OpenViking's `POST /sessions/{id}/used`): the contexts it drew on and the skill
 * it ran. Usages wait in the session's `.used.jsonl` until the next commit moves them into the
 * archive (its `.used.jsonl`, and a section of its `.overview.md`, so search finds which contexts a
 * past conversation relied on). Only URIs the caller may read are recorded. Pure.
 */
import { z } from 'zod';
import { AppError } from '../errors.js';
import { canRead, resolveUri, type RequestContext } from '../policy/index.js';
import { parseJsonl } from '../storage/jsonl.js';
import { SESSION_USED_FILE } from '../storage/names.js';

/** Where usages wait for the next commit (bookkeeping, never indexed: storage/names.ts). */
export const USED_FILE = SESSION_USED_FILE;

const MAX_CONTEXTS = 100;

export const usedBodySchema = z
  .object({
    contexts: z.array(z.string().min(1)).max(MAX_CONTEXTS).nullish(),
    skill: z
      .object({
        uri: z.string().min(1),
        input: z.string().max(65_536).default(''),
        output: z.string().max(65_536).default(''),
        success: z.boolean().default(true),
      })
      .nullish(),
  })
  .nullish();
export type UsedBody = z.output<typeof usedBodySchema>;

/** One recorded usage, one line of `.used.jsonl`. */
export const usageSchema = z.object({
  uri: z.string(),
  type: z.enum(['context', 'skill']),
  input: z.string().optional(),
  output: z.string().optional(),
  success: z.boolean().optional(),
  user_id: z.string(),
  timestamp: z.string(),
});
export type Usage = z.infer<typeof usageSchema>;

/** The canonical URI of a used context or skill; 400 if malformed, 403 if the caller may not read it. */
function readableUri(ctx: RequestContext, raw: string): string {
  const resolved = resolveUri(raw, ctx.effective, ctx.policy);
  if (!canRead(ctx, resolved)) {
    throw new AppError('PERMISSION_DENIED', 'a used URI must be readable by the caller', {
      uri: resolved.uri,
    });
  }
  return resolved.uri;
}

/** The usages a `used` body records, checked before anything is written. */
export function usagesOf(ctx: RequestContext, used: UsedBody, now: string): Usage[] {
  const body = used ?? {};
  const user_id = ctx.effective.user_id;
  const usages: Usage[] = (body.contexts ?? []).map((uri) => ({
    uri: readableUri(ctx, uri),
    type: 'context',
    user_id,
    timestamp: now,
  }));
  if (body.skill != null) {
    const { uri, input, output, success } = body.skill;
    usages.push({
      uri: readableUri(ctx, uri),
      type: 'skill',
      input,
      output,
      success,
      user_id,
      timestamp: now,
    });
  }
  return usages;
}

/** Parses `.used.jsonl`, skipping unreadable (torn) lines. */
export function parseUsages(text: string): Usage[] {
  return parseJsonl(text, usageSchema);
}

/** The archive overview's section on what the archived turns used ('' when nothing). */
export function usageSection(usages: readonly Usage[]): string {
  if (usages.length === 0) return '';
  const lines = usages.map((u) =>
    u.type === 'skill' ? `- skill ${u.uri}${u.success === false ? ' (failed)' : ''}` : `- context ${u.uri}`,
  );
  return ['## Used contexts and skills', '', ...[...new Set(lines)], ''].join('\n');
}
