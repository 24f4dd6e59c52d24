/**
 * Retrieval tags per file or folder (OpenViking's `fs/attrs` tags): a map from canonical URI to its
 * tags, one per account, kept in memory and persisted atomically at `_system/tags.json` (internal:
 * never visible through any API, removed with the account). Tags follow moves and go with removals
 * (the content hooks call {@link TagStore.moved} and {@link TagStore.removed}). Knows nothing about
 * who may read or write what: the tag service checks that before it calls in.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { AppError, errnoOf } from '../errors.js';
import { KeyedMutex, writeFileAtomic } from '../storage/atomic.js';
import { accountDir, systemDir } from '../storage/paths.js';
import { ROOT_URI } from '../policy/index.js';

export type TagMode = 'replace' | 'append' | 'remove';

/** Tagged URIs per account at most (a bound on the file and on the memory it takes). */
export const MAX_TAGGED_URIS = 100_000;
const FILE = 'tags.json';
const stored = z.record(z.string(), z.array(z.string()));

function below(uri: string, root: string): boolean {
  return uri === root || uri.startsWith(root === ROOT_URI ? root : `${root}/`);
}

export class TagStore {
  private readonly accounts = new Map<string, Map<string, readonly string[]>>();
  private readonly mutex = new KeyedMutex();

  constructor(private readonly dataDir: string) {}

  /** The tags of one URI (none if it has none). */
  async tagsOf(account_id: string, uri: string): Promise<readonly string[]> {
    return (await this.load(account_id)).get(uri) ?? [];
  }

  /** URIs carrying every one of `tags`. */
  async urisWithAll(account_id: string, tags: readonly string[]): Promise<string[]> {
    const out: string[] = [];
    for (const [uri, has] of await this.load(account_id)) {
      if (tags.every((t) => has.includes(t))) out.push(uri);
    }
    return out;
  }

  /** Applies `mode` with `tags` to each URI; answers each URI's tags afterwards. */
  async update(account_id: string, uris: readonly string[], tags: readonly string[], mode: TagMode) {
    return this.change(account_id, (map) => {
      const after = new Map<string, readonly string[]>();
      for (const uri of uris) {
        const next = applyMode(map.get(uri) ?? [], tags, mode);
        if (next.length === 0) map.delete(uri);
        else map.set(uri, next);
        after.set(uri, next);
      }
      if (map.size > MAX_TAGGED_URIS) {
        throw new AppError(
          'RESOURCE_EXHAUSTED',
          `an account may tag at most ${MAX_TAGGED_URIS} files and folders`,
        );
      }
      return after;
    });
  }

  /** A file or subtree was removed: its tags go too. */
  async removed(account_id: string, uri: string): Promise<void> {
    if (!(await this.has(account_id, uri))) return;
    await this.change(account_id, (map) => {
      for (const key of [...map.keys()]) if (below(key, uri)) map.delete(key);
    });
  }

  /** A file or subtree moved: its tags follow. */
  async moved(account_id: string, from: string, to: string): Promise<void> {
    if (!(await this.has(account_id, from))) return;
    await this.change(account_id, (map) => {
      for (const [key, tags] of [...map]) {
        if (!below(key, from)) continue;
        map.delete(key);
        map.set(to + key.slice(from.length), tags);
      }
    });
  }

  /** Forgets an account's tags (its folder, and the file with it, are gone). */
  forgetAccount(account_id: string): void {
    this.accounts.delete(account_id);
  }

  private async has(account_id: string, root: string): Promise<boolean> {
    for (const key of (await this.load(account_id)).keys()) if (below(key, root)) return true;
    return false;
  }

  private async change<T>(account_id: string, edit: (map: Map<string, readonly string[]>) => T): Promise<T> {
    return this.mutex.run(account_id, async () => {
      const current = await this.load(account_id);
      const next = new Map(current);
      const result = edit(next);
      await writeFileAtomic(
        join(systemDir(this.dataDir, account_id), FILE),
        JSON.stringify(Object.fromEntries(next)),
        {
          within: accountDir(this.dataDir, account_id),
        },
      );
      // Shown only once it is durable: a failed write leaves the previous tags in force.
      this.accounts.set(account_id, next);
      return result;
    });
  }

  private async load(account_id: string): Promise<Map<string, readonly string[]>> {
    const cached = this.accounts.get(account_id);
    if (cached !== undefined) return cached;
    let map = new Map<string, readonly string[]>();
    try {
      const text = await readFile(join(systemDir(this.dataDir, account_id), FILE), 'utf8');
      map = new Map(Object.entries(stored.parse(JSON.parse(text))));
    } catch (error) {
      if (errnoOf(error) !== 'ENOENT') throw error;
    }
    // A change may have landed while this read the file: the newer map wins.
    const settled = this.accounts.get(account_id);
    if (settled !== undefined) return settled;
    this.accounts.set(account_id, map);
    return map;
  }
}

function applyMode(current: readonly string[], tags: readonly string[], mode: TagMode): string[] {
  switch (mode) {
    case 'replace':
      return [...new Set(tags)];
    case 'append':
      return [...new Set([...current, ...tags])];
    case 'remove':
      return current.filter((t) => !tags.includes(t));
  }
}
