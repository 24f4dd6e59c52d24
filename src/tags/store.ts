/**
 * Retrieval tags per file or folder (OpenViking's `fs/attrs` tags): a map from canonical URI to its
 * tags, one per account, kept durably by a {@link TagStorage} (a file under the account's internal
 * folder, or PostgreSQL) and cached here while its version is current — another process's change
 * moves the version, so it is seen at the next read. Tags follow moves and go with removals (the
 * content hooks call {@link TagStore.moved} and {@link TagStore.removed}). Knows nothing about who may
 * read or write what: the tag service checks that before it calls in.
 */
import { AppError } from '../errors.js';
import { KeyedMutex } from '../storage/atomic.js';
import { ROOT_URI } from '../policy/index.js';
import type { TagSnapshot, TagStorage } from './storage.js';

export type TagMode = 'replace' | 'append' | 'remove';

/** Tagged URIs per account at most (a bound on the stored map and on the memory it takes). */
export const MAX_TAGGED_URIS = 100_000;

function below(uri: string, root: string): boolean {
  return uri === root || uri.startsWith(root === ROOT_URI ? root : `${root}/`);
}

export class TagStore {
  private readonly accounts = new Map<string, TagSnapshot>();
  private readonly mutex = new KeyedMutex();

  constructor(private readonly storage: TagStorage) {}

  /** The tags of one URI (none if it has none). */
  async tagsOf(account_id: string, uri: string): Promise<readonly string[]> {
    return (await this.load(account_id)).tags.get(uri) ?? [];
  }

  /** URIs carrying every one of `tags`. */
  async urisWithAll(account_id: string, tags: readonly string[]): Promise<string[]> {
    const out: string[] = [];
    for (const [uri, has] of (await this.load(account_id)).tags) {
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

  /** Forgets an account's tags (the account was deleted). */
  async forgetAccount(account_id: string): Promise<void> {
    this.accounts.delete(account_id);
    await this.storage.removeAccount(account_id);
  }

  private async has(account_id: string, root: string): Promise<boolean> {
    for (const key of (await this.load(account_id)).tags.keys()) if (below(key, root)) return true;
    return false;
  }

  /** Runs `edit` on the current tags under the storage's lock; changes of this process queue here. */
  private async change<T>(account_id: string, edit: (map: Map<string, readonly string[]>) => T): Promise<T> {
    return this.mutex.run(account_id, async () => {
      const { result, snapshot } = await this.storage.change(account_id, this.accounts.get(account_id), edit);
      // Shown only once it is durable: a failed write leaves the previous tags in force.
      this.accounts.set(account_id, snapshot);
      return result;
    });
  }

  /** The account's tags: the cached ones while their version is current, else read again. */
  private async load(account_id: string): Promise<TagSnapshot> {
    const cached = this.accounts.get(account_id);
    if (cached !== undefined && cached.version === (await this.storage.version(account_id))) return cached;
    const fresh = await this.storage.load(account_id);
    // Cached only if no change of this process landed while this read: the newer one stays.
    if (this.accounts.get(account_id) === cached) this.accounts.set(account_id, fresh);
    return fresh;
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
