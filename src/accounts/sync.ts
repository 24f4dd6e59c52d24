/**
 * Keeps a process's in-memory registry in step with a registry other processes also write
 * (distributed mode, SPEC 14: changes take effect everywhere within 1 s). The storage says when the
 * registry may have changed; the registry is then reloaded (one load at a time, one more if told
 * again meanwhile) and applied whole, unless it is older than what this process already has:
 * - a snapshot older than this process's own last committed change would undo it in memory;
 * - a committed change older than the last applied snapshot is already in it (and the snapshot may
 *   hold a newer change of the same account).
 * Local storage has no versions (always 0) and never reports changes: every change is applied.
 */
import { messageOf } from '../errors.js';
import type { Logger } from '../log.js';
import type { AccountRecord } from './persist.js';
import type { RegistryStorage, StopWatching } from './registry-storage.js';

export class RegistrySync {
  /** Version of the last snapshot applied (-1: none yet). */
  private applied = -1;
  /** Highest version this process committed. */
  private floor = 0;
  private loading: Promise<void> | undefined;
  private again = false;
  private stop: StopWatching | undefined;
  private closed = false;

  constructor(
    private readonly storage: RegistryStorage,
    private readonly apply: (accounts: readonly AccountRecord[]) => void,
    private readonly log?: Logger,
  ) {}

  /** Loads and applies the registry, then follows the storage's changes. */
  async start(): Promise<void> {
    await this.reload();
    this.stop = await this.storage.watch((version) => this.changed(version));
  }

  /**
   * Records a change this process committed at `version`; true when the caller should put its
   * result in memory (false: a newer snapshot, applied already, holds it).
   */
  committed(version: number): boolean {
    this.floor = Math.max(this.floor, version);
    return version === 0 || version > this.applied;
  }

  /** The registry may have changed (at `version`, when known). */
  changed(version?: number): void {
    if (this.closed || (version !== undefined && version === this.applied)) return;
    void this.reload().catch((error: unknown) => {
      // The next notice or poll tries again; meanwhile the registry in memory stays as it was.
      this.log?.warn({ err: messageOf(error) }, 'registry reload failed');
    });
  }

  /** Loads now, or once more after the load in progress. */
  reload(): Promise<void> {
    if (this.loading !== undefined) {
      this.again = true;
      return this.loading;
    }
    this.loading = this.loadLoop().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.stop?.();
    await this.loading?.catch(() => undefined);
  }

  private async loadLoop(): Promise<void> {
    do {
      this.again = false;
      const snapshot = await this.storage.load();
      if (this.closed) return;
      if (snapshot.version >= this.floor && snapshot.version !== this.applied) {
        this.apply(snapshot.accounts);
        this.applied = snapshot.version;
      }
    } while (this.again);
  }
}
