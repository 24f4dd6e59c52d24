/**
 * The `viking://` virtual filesystem service (SPEC 7). Every method takes the request context and raw
 * URI strings and checks, in this order: normalise → shorthand → shape (400 INVALID_URI) → visibility
 * (403 PERMISSION_DENIED) → existence (404 NOT_FOUND), so nobody learns whether something they may not
 * see exists. Permission decisions come from the policy core only (see access.ts).
 */
import type { ContentHooks, WaitIndexed } from '../hooks.js';
import type { RequestContext } from '../policy/index.js';
import { storageFaultOf } from '../storage/faults.js';
import { LocalFileStorage } from '../storage/local-files.js';
import { identityKey, initAccount, initIdentity } from './init.js';
import * as reads from './read-ops.js';
import * as search from './search.js';
import type { SessionMessageReader } from './session-messages.js';
import type { FileStorage } from './storage.js';
import type { FsCore } from './core.js';
import { isGeneratedSummary } from './summaries.js';
import * as writes from './write-ops.js';

export interface VfsOptions {
  dataDir: string;
  /** Where the tree is kept; default: the local files under `dataDir`. */
  storage?: FileStorage;
  hooks: ContentHooks;
  /** Largest file content accepted by write/append (413 above). */
  maxFileBytes: number;
  /** Serves `viking://session/{S}/messages/{id}`; without it those URIs are 404. */
  sessionMessages?: SessionMessageReader;
  /** Awaited after a change with `wait: true`: the indexer has applied that change's jobs. */
  waitIndexed?: WaitIndexed;
}

export class Vfs {
  private readonly core: FsCore;
  private readonly initialised = new Set<string>();

  constructor(options: VfsOptions) {
    this.core = {
      storage: options.storage ?? new LocalFileStorage(options.dataDir),
      hooks: options.hooks,
      maxFileBytes: options.maxFileBytes,
      sessionMessages: options.sessionMessages,
      waitIndexed: options.waitIndexed,
    };
  }

  /** Creates an account's scope folders. */
  initAccount(account_id: string): Promise<void> {
    return initAccount(this.core.storage, account_id);
  }

  /**
   * Creates the effective identity's scope roots once per process (cheap on repeated calls). While the
   * disk takes no writes (full, read-only) this is skipped, so the identity can still read; it is
   * tried again on its next request, and its writes fail with their own clear error.
   */
  async ensureIdentity(ctx: RequestContext): Promise<void> {
    const key = identityKey(ctx);
    if (this.initialised.has(key)) return;
    try {
      await initIdentity(this.core.storage, ctx);
    } catch (error) {
      if (storageFaultOf(error) !== null) return;
      throw error;
    }
    this.initialised.add(key);
  }

  /** Forgets initialised identities of an account (call after the account is deleted). */
  forgetAccount(account_id: string): void {
    for (const key of this.initialised)
      if (key.startsWith(`${account_id}\u0000`)) this.initialised.delete(key);
  }

  /** Readable children; `simple: true` gives canonical URI strings instead of entries. */
  ls(ctx: RequestContext, uri: string, options: reads.LsOptions & { simple: true }): Promise<string[]>;
  ls(
    ctx: RequestContext,
    uri: string,
    options?: reads.LsOptions & { simple?: false },
  ): Promise<reads.LsEntry[]>;
  ls(ctx: RequestContext, uri: string, options?: reads.LsOptions): Promise<reads.LsEntry[] | string[]>;
  ls(ctx: RequestContext, uri: string, options: reads.LsOptions = {}): Promise<reads.LsEntry[] | string[]> {
    return reads.ls(this.core, ctx, uri, options);
  }

  tree(ctx: RequestContext, uri: string, options: reads.TreeOptions = {}): Promise<reads.TreeEntry[]> {
    return reads.tree(this.core, ctx, uri, options);
  }

  stat(ctx: RequestContext, uri: string) {
    return reads.stat(this.core, ctx, uri);
  }

  read(ctx: RequestContext, uri: string, offset?: number, limit?: number) {
    return reads.read(this.core, ctx, uri, offset, limit);
  }

  abstract(ctx: RequestContext, uri: string) {
    return reads.folderSummary(this.core, ctx, uri, '.abstract.md');
  }

  overview(ctx: RequestContext, uri: string) {
    return reads.folderSummary(this.core, ctx, uri, '.overview.md');
  }

  /** Whether a canonical file URI is a generated folder summary (not indexed: fs/summaries.ts). */
  isGeneratedSummary(ctx: RequestContext, uri: string) {
    return isGeneratedSummary(this.core, ctx, uri);
  }

  mkdir(ctx: RequestContext, uri: string, description?: string, wait?: writes.WaitOptions) {
    return writes.mkdir(this.core, ctx, uri, description, wait);
  }

  write(ctx: RequestContext, request: writes.WriteRequest) {
    return writes.write(this.core, ctx, request);
  }

  /** Several files as one all-or-nothing-checked change (see {@link writes.writeMany}). */
  writeMany(ctx: RequestContext, files: readonly writes.BatchFile[]) {
    return writes.writeMany(this.core, ctx, files);
  }

  rm(ctx: RequestContext, uri: string, recursive = false, wait?: writes.WaitOptions) {
    return writes.rm(this.core, ctx, uri, recursive, wait);
  }

  mv(ctx: RequestContext, fromUri: string, toUri: string, wait?: writes.WaitOptions) {
    return writes.mv(this.core, ctx, fromUri, toUri, wait);
  }

  grep(ctx: RequestContext, request: search.GrepRequest) {
    return search.grep(this.core, ctx, request);
  }

  glob(ctx: RequestContext, request: search.GlobRequest) {
    return search.glob(this.core, ctx, request);
  }
}
