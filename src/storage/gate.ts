/**
 * A readers-writer gate for consistent snapshots: every change holds it shared (many at once), a
 * snapshot holds it exclusive. A waiting snapshot goes first — changes that arrive meanwhile wait
 * behind it — so a backup is never starved by a steady stream of writes.
 */
export class WriteGate {
  private shared = 0;
  private exclusive = false;
  private readonly snapshotsWaiting: Array<() => void> = [];
  private changesWaiting: Array<() => void> = [];

  /** Runs a change; it waits while a snapshot is taken or waiting to be taken. */
  async change<T>(work: () => Promise<T>): Promise<T> {
    while (this.exclusive || this.snapshotsWaiting.length > 0)
      await new Promise<void>((resolve) => this.changesWaiting.push(resolve));
    this.shared += 1;
    try {
      return await work();
    } finally {
      this.shared -= 1;
      if (this.shared === 0) this.snapshotsWaiting.shift()?.();
    }
  }

  /** Runs `work` once no change is running; changes wait until it is done. One at a time. */
  async snapshot<T>(work: () => Promise<T>): Promise<T> {
    while (this.exclusive || this.shared > 0)
      await new Promise<void>((resolve) => this.snapshotsWaiting.push(resolve));
    this.exclusive = true;
    try {
      return await work();
    } finally {
      this.exclusive = false;
      const next = this.snapshotsWaiting.shift();
      if (next !== undefined) next();
      else for (const resolve of this.changesWaiting.splice(0)) resolve();
    }
  }
}
