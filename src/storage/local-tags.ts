/**
 * Retrieval tags of the embedded mode: one file per account, `_system/tags.json` (internal: never
 * visible through any API, removed with the account), a JSON object from URI to tags,
 * replaced atomically on every change. One process owns a DATA_DIR, so versions are kept in memory:
 * a counter shared by all accounts, so that a version is never given twice.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { errnoOf } from '../errors.js';
import { validateId } from '../policy/ids.js';
import type { TagSnapshot, TagStorage } from '../tags/storage.js';
import { KeyedMutex, writeFileAtomic } from './atomic.js';
import { accountDir, systemDir } from './paths.js';

const FILE = 'tags.json';
const stored = z.record(z.string(), z.array(z.string()));

export class LocalTagStorage implements TagStorage {
  private readonly versions = new Map<string, number>();
  private last = 0;
  private readonly mutex = new KeyedMutex();

  constructor(private readonly dataDir: string) {}

  version(account_id: string): Promise<string> {
    validateId(account_id, 'account_id');
    return Promise.resolve(String(this.versions.get(account_id) ?? 0));
  }

  async load(account_id: string): Promise<TagSnapshot> {
    // Read before the file: a save landing in between leaves this snapshot's version already old.
    const version = await this.version(account_id);
    let tags = new Map<string, readonly string[]>();
    try {
      const text = await readFile(this.fileOf(account_id), 'utf8');
      tags = new Map(Object.entries(stored.parse(JSON.parse(text))));
    } catch (error) {
      if (errnoOf(error) !== 'ENOENT') throw error;
    }
    return { version, tags };
  }

  change<T>(
    account_id: string,
    cached: TagSnapshot | undefined,
    edit: (tags: Map<string, readonly string[]>) => T,
  ): Promise<{ result: T; snapshot: TagSnapshot }> {
    return this.mutex.run(account_id, async () => {
      const current = cached?.version === (await this.version(account_id)) ? cached : undefined;
      const next = new Map((current ?? (await this.load(account_id))).tags);
      const result = edit(next);
      await writeFileAtomic(this.fileOf(account_id), JSON.stringify(Object.fromEntries(next)), {
        within: accountDir(this.dataDir, account_id),
      });
      return { result, snapshot: { version: this.bump(account_id), tags: next } };
    });
  }

  /** Removes the file (if the account folder has not taken it already) and moves the version on. */
  removeAccount(account_id: string): Promise<void> {
    return this.mutex.run(account_id, async () => {
      await rm(this.fileOf(account_id), { force: true });
      this.bump(account_id);
    });
  }

  private bump(account_id: string): string {
    this.last += 1;
    this.versions.set(account_id, this.last);
    return String(this.last);
  }

  private fileOf(account_id: string): string {
    validateId(account_id, 'account_id');
    return join(systemDir(this.dataDir, account_id), FILE);
  }
}
