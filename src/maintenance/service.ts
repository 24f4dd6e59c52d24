/**
 * OpenViking's `POST content/reindex` and `POST system/consistency` for a subtree: both compare the
 * subtree's files with its index records (src/maintenance/compare.ts) and answer what they found and
 * what they queued to fix it. Fixes are ordinary index jobs — a file job re-reads a file from disk, or
 * removes the records of a file that is gone — so they converge on the filesystem, the source of
 * truth, without a gap in search. Consistency repairs only what differs (readers may ask); reindex
 * re-embeds every file (writers only). Both are bounded: one runs at a time, a subtree is walked up to
 * a limit (413 beyond), and a subtree of more than {@link SYNC_FILES} files runs as a task.
 */
import pLimit from 'p-limit';
import { z } from 'zod';
import { AppError } from '../errors.js';
import { resolveWritable } from '../fs/access.js';
import type { Vfs } from '../fs/index.js';
import { DEFAULT_WAIT_TIMEOUT_S, type ContentHooks, type WaitIndexed } from '../hooks.js';
import type { RecordKey } from '../index/store.js';
import {
  and,
  canonicalUri,
  subtree,
  visibilityExpr,
  type Expr,
  type RequestContext,
  ROOT_URI,
} from '../policy/index.js';
import { tag } from '../tags/schema.js';
import type { SetTagsBody } from '../tags/service.js';
import type { TaskRegistry } from '../tasks/registry.js';
import { compare, type FileFact } from './compare.js';

export const SYNC_FILES = 1000;
export const MAX_FILES = 100_000;
const MAX_RECORDS = 1_000_000;
/** URIs listed per finding (the counts are always complete). */
const LISTED = 100;
const TASK_WAIT_MS = 30 * 60 * 1000;
/** Checks waiting for the one running (more get 429). */
const MAX_WAITING = 8;

export const consistencyBody = z.object({ uri: z.string().min(1) });
export const reindexBody = z.object({
  uri: z.string().min(1),
  // We keep no model-written summaries, so both processing modes re-embed; prune_orphans only drops.
  mode: z.enum(['vectors_only', 'semantic_and_vectors', 'prune_orphans']).default('vectors_only'),
  wait: z.boolean().default(true),
  dry_run: z.boolean().default(false),
  recursive: z.boolean().default(true),
  /** Set on the URI (and, recursively, below it) before reindexing, as `fs/attrs/set_tags` does. */
  tags: z.array(tag).max(32).nullish(),
  tag_mode: z.enum(['replace', 'append']).default('replace'),
});
export type ReindexBody = z.output<typeof reindexBody>;

export interface MaintenanceDeps {
  readonly vfs: Vfs;
  readonly scanKeys: (expr: Expr, limit: number) => Promise<RecordKey[]>;
  readonly hooks: ContentHooks;
  readonly waitIndexed: WaitIndexed;
  readonly tasks: TaskRegistry;
  /** `fs/attrs/set_tags` (write permission is checked there too). */
  readonly setTags?: (ctx: RequestContext, body: SetTagsBody) => Promise<unknown>;
}

interface Plan {
  readonly uri: string;
  readonly files: FileFact[];
}

const listed = (uris: readonly string[]) => uris.slice(0, LISTED);
const parentOf = (uri: string) => uri.slice(0, uri.lastIndexOf('/'));

export class MaintenanceService {
  private readonly one = pLimit(1);

  constructor(private readonly deps: MaintenanceDeps) {}

  /** What differs between the files and the index below `uri`, and the jobs queued to fix it. */
  async consistency(ctx: RequestContext, uri: string): Promise<Record<string, unknown>> {
    const plan = await this.plan(ctx, uri, true);
    const run = async () => {
      const found = compare(plan.files, await this.records(ctx, plan.uri));
      const fix = [...found.missing, ...found.stale, ...found.orphans];
      const tickets = await this.queue(ctx, fix);
      return {
        uri: plan.uri,
        consistent: fix.length === 0,
        files_checked: plan.files.length,
        counts: { missing: found.missing.length, stale: found.stale.length, orphans: found.orphans.length },
        missing_records: listed(found.missing),
        stale_records: listed(found.stale),
        orphan_records: listed(found.orphans),
        fixed: { queued: fix.length, index_jobs: tickets.length },
      };
    };
    return this.runBounded(ctx, 'consistency', plan, run);
  }

  /** Re-embeds every file below `uri` (or only drops orphan records: `prune_orphans`). */
  async reindex(ctx: RequestContext, body: ReindexBody): Promise<Record<string, unknown>> {
    if (body.dry_run && body.mode !== 'prune_orphans') {
      throw new AppError('INVALID_ARGUMENT', 'dry_run is only supported with mode "prune_orphans"', {
        field: 'dry_run',
      });
    }
    const target = resolveWritable(ctx, body.uri);
    const plan = await this.plan(ctx, target.uri, body.recursive);
    if (body.tags != null && !body.dry_run) {
      if (this.deps.setTags === undefined)
        throw new AppError('FAILED_PRECONDITION', 'this server keeps no tags');
      const { tags, tag_mode: mode, recursive } = body;
      await this.deps.setTags(ctx, { uri: plan.uri, tags, mode, recursive });
    }
    const run = async (waitMs: number) => {
      const found = compare(plan.files, await this.records(ctx, plan.uri));
      // Without recursion only the folder's own files count: deeper records are not orphans.
      if (!body.recursive) found.orphans = found.orphans.filter((u) => parentOf(u) === plan.uri);
      const prune = body.mode === 'prune_orphans';
      const fix = prune ? found.orphans : [...plan.files.map((f) => f.uri), ...found.orphans];
      const tickets = body.dry_run ? [] : await this.queue(ctx, fix);
      if (body.wait && tickets.length > 0) await this.deps.waitIndexed(tickets, waitMs);
      return {
        uri: plan.uri,
        mode: body.mode,
        dry_run: body.dry_run,
        files: plan.files.length,
        reindexed: prune || body.dry_run ? 0 : plan.files.length,
        orphans: found.orphans.length,
        orphan_records: listed(found.orphans),
        orphans_removed: body.dry_run ? 0 : found.orphans.length,
        missing_before: found.missing.length,
        stale_before: found.stale.length,
        indexed: body.wait && !body.dry_run,
      };
    };
    return this.runBounded(ctx, 'reindex', plan, run);
  }

  /** Small subtrees answer at once; larger ones run as a task (the answer carries its `task_id`). */
  private async runBounded(
    ctx: RequestContext,
    type: string,
    plan: Plan,
    run: (waitMs: number) => Promise<Record<string, unknown>>,
  ): Promise<Record<string, unknown>> {
    if (this.one.pendingCount >= MAX_WAITING) {
      throw new AppError('RESOURCE_EXHAUSTED', 'too many index checks are waiting; try again shortly', {
        retry_after_s: 5,
      });
    }
    if (plan.files.length <= SYNC_FILES) return this.one(() => run(DEFAULT_WAIT_TIMEOUT_S * 1000));
    const task = this.deps.tasks.start(ctx, type, plan.uri, () => this.one(() => run(TASK_WAIT_MS)));
    return { uri: plan.uri, status: 'accepted', files: plan.files.length, task_id: task.task_id };
  }

  /** The readable content files at or below `uri` (session scope refused), within the bound. */
  private async plan(ctx: RequestContext, uri: string, recursive: boolean): Promise<Plan> {
    const root = await this.deps.vfs.stat(ctx, uri);
    if (root.uri === 'viking://session' || root.uri.startsWith('viking://session/')) {
      throw new AppError(
        'INVALID_ARGUMENT',
        'sessions are indexed from their messages, not checked as files',
        {
          uri: root.uri,
        },
      );
    }
    if (!root.isDir)
      return {
        uri: root.uri,
        files: [{ uri: root.uri, size: root.size, mtimeMs: Date.parse(root.modTime) }],
      };
    const entries = await this.deps.vfs.tree(ctx, root.uri, {
      levelLimit: recursive ? Number.MAX_SAFE_INTEGER : 1,
      nodeLimit: MAX_FILES + 1,
      showAllHidden: true,
    });
    if (entries.length > MAX_FILES) {
      throw new AppError(
        'PAYLOAD_TOO_LARGE',
        `at most ${MAX_FILES} entries per request; name a smaller subtree`,
        {
          uri: root.uri,
          limit: MAX_FILES,
        },
      );
    }
    const files: FileFact[] = [];
    for (const e of entries) {
      if (e.isDir || e.uri.startsWith('viking://session/')) continue;
      // Generated folder summaries are not indexed (fs/summaries.ts): no record is missing for them.
      if (await this.deps.vfs.isGeneratedSummary(ctx, e.uri)) continue;
      files.push({ uri: e.uri, size: e.size, mtimeMs: Date.parse(e.modTime) });
    }
    return { uri: root.uri, files };
  }

  /** The index records the caller may see at or below `uri`. */
  private async records(ctx: RequestContext, uri: string): Promise<RecordKey[]> {
    const filter = and(visibilityExpr(ctx), uri === ROOT_URI ? and() : subtree(uri));
    const keys = await this.deps.scanKeys(filter, MAX_RECORDS + 1);
    if (keys.length > MAX_RECORDS) {
      throw new AppError('PAYLOAD_TOO_LARGE', `at most ${MAX_RECORDS} index records per request`, {
        uri,
        limit: MAX_RECORDS,
      });
    }
    return keys;
  }

  /**
   * One file job per URI (re-read from disk; a missing file's records are removed). The URIs come from
   * the file listing and the index records: canonical, checked again to carry the brand (under any
   * policy, so an orphan written under an account's earlier policy is still removed).
   */
  private async queue(ctx: RequestContext, uris: readonly string[]): Promise<number[]> {
    const account = ctx.effective.account_id;
    if (uris.length > 0) this.deps.hooks.admit?.(account);
    const tickets: number[] = [];
    for (const uri of uris) tickets.push(...(await this.deps.hooks.fileWritten(account, canonicalUri(uri))));
    return tickets;
  }
}
