/**
 * A consistent copy of the whole store taken while serving (`POST /api/v1/system/backup`), and who
 * may ask for one (ROOT only). At the snapshot moment changes wait (the write gate, held exclusive),
 * the indexer pauses between batches and the index's compaction settles; the destination is checked
 * and prepared before, and the manifest written after, never while the tenants' writes wait. The copy
 * itself is src/storage/snapshot.ts.
 */
import { AppError } from '../errors.js';
import type { RecordIndex } from '../index/record-index.js';
import type { IndexPipeline } from '../indexing/pipeline.js';
import type { Logger } from '../log.js';
import type { RequestContext } from '../policy/index.js';
import type { WriteGate } from '../storage/gate.js';
import { writeBackup, type BackupManifest, type StoreLocation } from '../storage/snapshot.js';

export interface BackupDeps {
  readonly location: StoreLocation;
  /** Held exclusive for the copy (every changing request holds it shared). */
  readonly gate: WriteGate;
  /** The indexer: `pause` stops it between batches and resolves to the function resuming it. */
  readonly pipeline: Pick<IndexPipeline, 'pause'>;
  /** The index: `settled` resolves once its background maintenance (compaction) is done. */
  readonly store: Pick<RecordIndex, 'settled'>;
  readonly log: Logger;
}

export class BackupService {
  constructor(private readonly deps: BackupDeps) {}

  /** Copies the store into the new folder `dest` (ROOT only); resolves to the manifest written. */
  async take(ctx: RequestContext, dest: string): Promise<BackupManifest> {
    if (ctx.role !== 'root') throw new AppError('PERMISSION_DENIED', 'backups are for ROOT only');
    const { gate, log } = this.deps;
    const hold = (copy: () => Promise<void>): Promise<void> =>
      gate.snapshot(async () => {
        const resume = await this.deps.pipeline.pause();
        try {
          await this.deps.store.settled();
          log.info({ dest }, 'backup started');
          await copy();
        } finally {
          resume();
        }
      });
    const manifest = await writeBackup(this.deps.location, dest, { hold });
    log.info({ dest }, 'backup written');
    return manifest;
  }
}
