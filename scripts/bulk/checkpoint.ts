/**
 * The bulk indexer's checkpoint: which documents of one (source, target, identity) are done, saved
 * atomically under `{DATA_DIR}/bulk/<hash>.json` every N documents, every few seconds and on
 * interruption. A document counts as done once `vfs.write` acknowledged it: the file is on disk and
 * its index job is in the durable queue. A kill between two saves only means the last few documents
 * are written again, which is harmless (writes are replaces).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { errnoOf } from '../../src/errors.js';
import type { Identity, Role } from '../../src/policy/index.js';
import { writeFileAtomic } from '../../src/storage/atomic.js';

const SAVE_INTERVAL_MS = 5000;

const FileSchema = z.object({
  version: z.literal(1),
  done: z.record(z.string(), z.string()),
});

export interface CheckpointKey {
  readonly source: string;
  readonly target: string | undefined;
  readonly identity: Identity;
  readonly role: Role;
}

/** `{DATA_DIR}/bulk/<hash>.json` for one source, target and identity. */
export function checkpointPath(dataDir: string, key: CheckpointKey): string {
  const id = JSON.stringify([resolve(key.source), key.target ?? null, key.identity, key.role]);
  return join(dataDir, 'bulk', `${createHash('sha256').update(id).digest('hex').slice(0, 24)}.json`);
}

export class Checkpoint {
  private sinceSave = 0;
  private lastSave = Date.now();
  private saving: Promise<void> = Promise.resolve();

  private constructor(
    readonly path: string,
    private readonly key: CheckpointKey,
    /** key → fingerprint of every document done. */
    private readonly done: Map<string, string>,
    private readonly every: number,
  ) {}

  /** Loads the checkpoint (or starts empty with `restart`, or when there is none yet). */
  static async open(
    dataDir: string,
    key: CheckpointKey,
    every: number,
    restart: boolean,
  ): Promise<Checkpoint> {
    const path = checkpointPath(dataDir, key);
    const done = new Map<string, string>();
    if (!restart) {
      const text = await readFile(path, 'utf8').catch((error: unknown) => {
        if (errnoOf(error) === 'ENOENT') return null;
        throw error;
      });
      if (text !== null) {
        const parsed = FileSchema.safeParse(JSON.parse(text));
        if (!parsed.success) throw new Error(`unreadable checkpoint ${path}; re-run with --restart`);
        for (const [k, fingerprint] of Object.entries(parsed.data.done)) done.set(k, fingerprint);
      }
    }
    return new Checkpoint(path, key, done, every);
  }

  get doneCount(): number {
    return this.done.size;
  }

  /** Whether this document, with this content, was done by an earlier run. */
  isDone(key: string, fingerprint: string): boolean {
    return this.done.get(key) === fingerprint;
  }

  /** Records a document as done; saves when N documents or a few seconds went by since the last save. */
  async markDone(key: string, fingerprint: string): Promise<void> {
    this.done.set(key, fingerprint);
    this.sinceSave++;
    if (this.sinceSave >= this.every || Date.now() - this.lastSave >= SAVE_INTERVAL_MS) await this.save();
  }

  /** Writes the checkpoint now (saves never overlap; the last one holds everything marked before it). */
  save(): Promise<void> {
    this.sinceSave = 0;
    this.lastSave = Date.now();
    const snapshot = {
      version: 1,
      source: resolve(this.key.source),
      target: this.key.target ?? null,
      identity: this.key.identity,
      role: this.key.role,
      updated_at: new Date().toISOString(),
      done_count: this.done.size,
      done: Object.fromEntries(this.done),
    };
    // A failed save is reported to its caller; the next save still runs.
    const write = () => writeFileAtomic(this.path, `${JSON.stringify(snapshot)}\n`);
    this.saving = this.saving.then(write, write);
    return this.saving;
  }
}
