/**
 * Where the account registry is stored: the interface {@link AccountStore} writes through, with the
 * local files of the embedded mode (`persist.ts`) and PostgreSQL in distributed mode
 * (`storage/pg/registry.ts`). Every mutation is stored before memory changes; an implementation
 * shared by several processes also checks what it changes against its own current state (the
 * caller's copy may be stale) and reports changes made elsewhere through {@link RegistryStorage.watch}.
 */
import type { AccountRecord, UserRecord } from './persist.js';

/** The registry as stored, at a version (0 where there is no version: local files). */
export interface RegistrySnapshot {
  readonly version: number;
  readonly accounts: readonly AccountRecord[];
}

/** A stored change and the registry's version that contains it (0: unversioned). */
export interface Committed {
  readonly version: number;
}

/** A change of one account's users; throws (an AppError) to refuse it, leaving nothing changed. */
export type UsersChange = (users: Map<string, UserRecord>) => void;

/** Stops a {@link RegistryStorage.watch}. */
export type StopWatching = () => Promise<void>;

export interface RegistryStorage {
  /** Every complete, live account. */
  load(): Promise<RegistrySnapshot>;
  /** Stores a new account with its users; ALREADY_EXISTS while a live account has the id. */
  createAccount(record: AccountRecord): Promise<Committed>;
  /**
   * Applies `change` to the account's stored users and stores the result, returning the new record;
   * NOT_FOUND when the account is gone. `change` may run more than once (a retried transaction): it
   * must only edit the map it is given.
   */
  updateUsers(current: AccountRecord, change: UsersChange): Promise<Committed & { record: AccountRecord }>;
  /**
   * Removes the account from the registry (and whatever of it this storage holds); NOT_FOUND when it
   * is gone already. Resolves once no reader can see it; `cleanup` frees what is left (may be slow).
   */
  deleteAccount(account_id: string): Promise<Committed & { readonly cleanup: () => Promise<void> }>;
  /**
   * Calls `onChange` when the registry may have changed elsewhere (another process), with the stored
   * version when known; never for a storage only this process writes.
   */
  watch(onChange: (version?: number) => void): Promise<StopWatching>;
}
