/**
 * Keeps the index honest about whether it can be trusted. At start it rebuilds an index that is
 * missing or behind the filesystem; while running it notices the table removed under it and rebuilds
 * it; meanwhile it tells readiness, status and search (503 with Retry-After) the truth. Rebuilds are
 * journaled jobs (src/indexing/rebuild.ts), so an interrupted one resumes at the next start. "Behind"
 * is judged by the version marker (src/indexing/marker.ts).
 */
import { AppError } from '../errors.js';
import type { FileStorage } from '../fs/storage.js';
import type { Logger } from '../log.js';
import { readIndexMarker, saveIndexMarker } from './marker.js';
import type { IndexPipeline } from './pipeline.js';
import { accountsWithFiles } from './reindex.js';
import type { RecordIndex } from '../index/record-index.js';
import { INDEX_RETRY_S, lostError } from '../index/store.js';

/** Probe the table at most this often on the search path (a directory listing on local disk). */
const PROBE_MS = 1000;

/** `ok`, `missing` (gone, a rebuild is being set up) or `rebuilding` (accounts are incomplete). */
export type IndexState = 'ok' | 'missing' | 'rebuilding';

export interface GuardDeps {
  readonly dataDir: string;
  /** The source of truth a lost index is rebuilt from. */
  readonly files: FileStorage;
  readonly lancedbUri: string;
  /** Its local table is what is guarded; in distributed mode (no local table) nothing is. */
  readonly store: RecordIndex;
  readonly pipeline: IndexPipeline;
  readonly log: Logger;
}

export class IndexGuard {
  private healing: Promise<void> | null = null;
  private probedAt = 0;

  constructor(private readonly deps: GuardDeps) {
    deps.store.localTable?.onLost(() => void this.heal());
  }

  /**
   * At start, once the pipeline runs: rebuilds every account that had files (`onDisk`, listed
   * before anything created folders) when the index is missing or behind.
   */
  async atStart(onDisk: readonly string[]): Promise<void> {
    const pending = (await this.deps.pipeline.status()).rebuild;
    if (pending !== undefined) this.deps.log.warn({ ...pending }, 'resuming an interrupted index rebuild');
    const reason = await this.startReason();
    if (reason !== null && onDisk.length > 0) await this.deps.pipeline.rebuild(onDisk, reason);
  }

  private async startReason(): Promise<string | null> {
    const { store, dataDir, lancedbUri } = this.deps;
    const table = store.localTable;
    if (table === null) return null;
    if (table.created) return 'index missing';
    const marker = await readIndexMarker(dataDir);
    if (marker?.lancedb_uri !== lancedbUri) return null;
    const version = await table.version();
    return version < marker.version ? `index behind (version ${version}, last seen ${marker.version})` : null;
  }

  /** Probes the table (at most once a second unless `now`) and rebuilds it when it is gone. */
  async check(now = false): Promise<void> {
    const table = this.deps.store.localTable;
    if (table === null) return;
    if (this.healing !== null) return this.healing;
    if (!now && Date.now() - this.probedAt < PROBE_MS) return;
    this.probedAt = Date.now();
    if (!(await table.present())) await this.heal();
  }

  /**
   * Throws UNAVAILABLE (503 with Retry-After) while the account's records are missing or incomplete;
   * `recheck` probes at once (after a query failed).
   */
  async assertSearchable(account_id: string, recheck = false): Promise<void> {
    await this.check(recheck);
    if (this.deps.store.localTable?.lost === true) throw lostError(this.deps.lancedbUri);
    if (this.deps.pipeline.rebuilding(account_id)) {
      throw new AppError('UNAVAILABLE', 'the search index of this account is being rebuilt; retry later', {
        account_id,
        retry_after_s: INDEX_RETRY_S,
      });
    }
  }

  /** The index's state after a probe. */
  async state(): Promise<IndexState> {
    await this.check();
    if (this.deps.store.localTable?.lost === true) return 'missing';
    return this.deps.pipeline.rebuilding() ? 'rebuilding' : 'ok';
  }

  /**
   * Saves the marker; called at a clean stop, after the pipeline stopped. A marker that cannot be
   * written (a full or read-only disk) only costs the "behind" check, so it never fails the stop.
   */
  async close(): Promise<void> {
    await this.healing;
    const { store, dataDir, lancedbUri, log } = this.deps;
    const table = store.localTable;
    if (table === null || table.lost) return;
    try {
      await saveIndexMarker(dataDir, lancedbUri, await table.version());
    } catch (error) {
      log.warn({ err: error }, 'could not record the index version');
    }
  }

  /** Journals a rebuild of every account with files, then replaces the lost table (once per loss). */
  private heal(): Promise<void> {
    this.healing ??= this.rebuildLost().finally(() => (this.healing = null));
    return this.healing;
  }

  private async rebuildLost(): Promise<void> {
    const { store, pipeline, files, lancedbUri, log } = this.deps;
    log.error({ uri: lancedbUri }, 'the search index is missing: rebuilding it from the filesystem');
    try {
      await store.localTable?.recreate(async () =>
        pipeline.rebuild(await accountsWithFiles(files), 'index lost'),
      );
    } catch (error) {
      log.error({ err: error }, 'could not re-create the search index; retried at the next check');
    }
  }
}
