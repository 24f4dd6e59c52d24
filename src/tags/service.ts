/**
 * OpenViking's `GET fs/attrs` and `POST fs/attrs/set_tags`, and the `tags` of a search: tags are set
 * only on what the caller may write (the filesystem's write rules, SPEC 4), read back only from what
 * it may read, and a search's `tags` become `uri IN (tagged URIs the caller may read)` ANDed to the
 * search filter — a restriction that can narrow results, never widen them past visibility.
 */
import { z } from 'zod';
import { AppError } from '../errors.js';
import { resolveWritable } from '../fs/access.js';
import type { Vfs } from '../fs/index.js';
import { canRead, contextTypeOf, resolveUri, type RequestContext } from '../policy/index.js';
import { tag } from './schema.js';
import type { TagStore } from './store.js';

export const setTagsBody = z.object({
  uri: z.string().min(1),
  tags: z.array(tag).max(32),
  mode: z.enum(['replace', 'append', 'remove']).default('replace'),
  recursive: z.boolean().default(false),
  telemetry: z.unknown().optional(),
});
export type SetTagsBody = z.output<typeof setTagsBody>;

/** Entries a recursive set_tags may touch at most (more is refused whole, never cut). */
export const MAX_TAG_ENTRIES = 10_000;
/** Tagged URIs a search's tag filter may name at most (more is a 400 asking for a narrower filter). */
export const MAX_TAG_FILTER_URIS = 10_000;

export class TagService {
  constructor(
    private readonly vfs: Vfs,
    private readonly store: TagStore,
  ) {}

  /** `{uri, context_type, attrs: {tags}}` of something the caller may read (403/404 otherwise). */
  async attrs(ctx: RequestContext, uri: string) {
    const stat = await this.vfs.stat(ctx, uri);
    const resolved = resolveUri(stat.uri, null, ctx.policy);
    const tags = await this.store.tagsOf(ctx.effective.account_id, stat.uri);
    return { uri: stat.uri, context_type: contextTypeOf(resolved), is_dir: stat.isDir, attrs: { tags } };
  }

  /** Sets the tags of a file or folder the caller may write (and, recursively, of all below it). */
  async setTags(ctx: RequestContext, body: SetTagsBody) {
    const target = resolveWritable(ctx, body.uri);
    const stat = await this.vfs.stat(ctx, target.uri);
    const uris = [stat.uri];
    if (body.recursive && stat.isDir) {
      const entries = await this.vfs.tree(ctx, stat.uri, {
        levelLimit: Number.MAX_SAFE_INTEGER,
        nodeLimit: MAX_TAG_ENTRIES + 1,
      });
      if (entries.length + 1 > MAX_TAG_ENTRIES) {
        throw new AppError('PAYLOAD_TOO_LARGE', `set_tags touches at most ${MAX_TAG_ENTRIES} entries`, {
          uri: stat.uri,
          limit: MAX_TAG_ENTRIES,
        });
      }
      uris.push(...entries.map((e) => e.uri));
    }
    const after = await this.store.update(ctx.effective.account_id, uris, body.tags, body.mode);
    return {
      uri: stat.uri,
      tags: after.get(stat.uri) ?? [],
      mode: body.mode,
      recursive: body.recursive,
      updated: uris.length,
    };
  }

  /** URIs the caller may read that carry every one of `tags` (the search's tag restriction). */
  async readableWithAll(ctx: RequestContext, tags: readonly string[]): Promise<string[]> {
    const all = await this.store.urisWithAll(ctx.effective.account_id, tags);
    const readable = all.filter((uri) => {
      try {
        return canRead(ctx, resolveUri(uri, null, ctx.policy));
      } catch {
        return false;
      }
    });
    if (readable.length > MAX_TAG_FILTER_URIS) {
      throw new AppError(
        'INVALID_ARGUMENT',
        `more than ${MAX_TAG_FILTER_URIS} files carry these tags; add a tag to narrow the search`,
        { field: 'tags' },
      );
    }
    return readable;
  }
}
