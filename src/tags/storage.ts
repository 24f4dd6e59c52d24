/**
 * Where retrieval tags are kept durably: the {@link TagStorage} the {@link TagStore} reads and
 * writes through, implemented over a file per account in the embedded mode
 * (`storage/local-tags.ts`) and over PostgreSQL in distributed mode (`storage/pg/tags.ts`). Both run
 * the same suite (test/storage/tag-suite.ts).
 *
 * Every committed change gives the account's tags a new version, never one they had before (not
 * even after the account is removed and created again), so a cache of an account's tags stays valid
 * exactly while its version is the one read now — which any process can ask cheaply.
 */

/** An account's tags: canonical URI → its tags (none is no entry). */
export type TagMap = ReadonlyMap<string, readonly string[]>;

/** The tags of an account as of one version. */
export interface TagSnapshot {
  readonly version: string;
  readonly tags: TagMap;
}

export interface TagStorage {
  /** The current version of an account's tags (a cheap read; `load` answers the same one). */
  version(account_id: string): Promise<string>;
  /** An account's tags and their version, read together. */
  load(account_id: string): Promise<TagSnapshot>;
  /**
   * Runs `edit` on a copy of the account's current tags while no other writer (of any process) may
   * change them, and stores what it changed. `cached` stands for the current tags if its version is
   * still the current one (else they are read again). Answers the edit's result and the stored
   * snapshot; an edit that throws stores nothing. `edit` may run more than once (a retried
   * transaction): it must only change the map it is given.
   */
  change<T>(
    account_id: string,
    cached: TagSnapshot | undefined,
    edit: (tags: Map<string, readonly string[]>) => T,
  ): Promise<{ result: T; snapshot: TagSnapshot }>;
  /** Drops an account's tags (the account was deleted); its next version is still a new one. */
  removeAccount(account_id: string): Promise<void>;
}

/** The URIs whose tags differ between two maps (an entry an edit replaced counts as changed). */
export function changedUris(before: TagMap, after: TagMap): string[] {
  const changed: string[] = [];
  for (const [uri, tags] of after) if (before.get(uri) !== tags) changed.push(uri);
  for (const uri of before.keys()) if (!after.has(uri)) changed.push(uri);
  return changed;
}
