/**
 * The account registry (SPEC 2, 5, 6): accounts, their immutable namespace policy, users, roles and
 * hashed keys. Held in memory, stored through a {@link RegistryStorage} (local files, or PostgreSQL
 * with changes of other processes reloaded: sync.ts); every mutation of an account runs under that
 * account's mutex and is stored before memory changes, so a failed write changes nothing and
 * concurrent registrations lose none.
 *
 * Trusted and dev mode have no registry (`registry: false`): every valid account exists, every user
 * counts as registered and the policy is always false/false.
 */
import { initAccount } from '../fs/init.js';
import type { FileStorage } from '../fs/storage.js';
import { AppError, messageOf } from '../errors.js';
import type { ContentHooks } from '../hooks.js';
import type { Logger } from '../log.js';
import { validateId, validateUserIdForRegistration } from '../policy/ids.js';
import { DEFAULT_POLICY, type NamespacePolicy } from '../policy/types.js';
import { KeyedMutex } from '../storage/atomic.js';
import { infoOf, newUser, type AccountInfo, type KeyOwner, type UserRole } from './info.js';
import { generateKey, keyMatches, keyPrefixOf, storedKeyOf } from './keys.js';
import { LocalRegistryStorage, type AccountRecord, type UserRecord } from './persist.js';
import type { RegistryStorage } from './registry-storage.js';
import { RegistrySync } from './sync.js';
import { ROOT_URI } from '../policy/index.js';
import { LocalFileStorage } from '../storage/local-files.js';

export const DEFAULT_ACCOUNT = 'default';

export type { AccountInfo, KeyOwner, UserRole } from './info.js';

export interface AccountStoreOptions {
  readonly dataDir: string;
  /** False in trusted and dev mode (no account registry). */
  readonly registry: boolean;
  readonly hooks: ContentHooks;
  /** Where the registry is stored (default: the local files under `dataDir`). */
  readonly storage?: RegistryStorage;
  /** Where accounts' folders are created (default: the local files under `dataDir`). */
  readonly files?: FileStorage;
  /**
   * An account this process knew is gone or was replaced (deleted, maybe created again) by another
   * process, as learnt from a reload: drop what is cached of it here. The deleting process ran
   * `hooks.accountDeleted` (and queued the purge) already.
   */
  readonly forgotten?: (account_id: string) => Promise<void>;
  readonly log?: Logger;
}

export class AccountStore {
  private readonly accounts = new Map<string, AccountRecord>();
  private readonly mutex = new KeyedMutex();
  private readonly prepared = new Set<string>();
  /** Key prefix → owners with that prefix; rebuilt after every change of users. */
  private byPrefix = new Map<string, { account_id: string; user_id: string }[]>();
  private readonly storage: RegistryStorage;
  private readonly files: FileStorage;
  private readonly sync: RegistrySync;

  private constructor(private readonly options: AccountStoreOptions) {
    this.storage = options.storage ?? new LocalRegistryStorage(options.dataDir);
    this.files = options.files ?? new LocalFileStorage(options.dataDir);
    this.sync = new RegistrySync(this.storage, (records) => this.replaceAll(records), options.log);
  }

  /** Loads the registry, follows changes made elsewhere, makes sure the `default` account exists. */
  static async open(options: AccountStoreOptions): Promise<AccountStore> {
    const store = new AccountStore(options);
    try {
      await store.sync.start();
      // Another process starting at the same time may create the default account first.
      if (!store.accounts.has(DEFAULT_ACCOUNT)) {
        await store.create(DEFAULT_ACCOUNT, DEFAULT_POLICY, []).catch((error: unknown) => {
          if (!(error instanceof AppError && error.code === 'ALREADY_EXISTS')) throw error;
          return store.sync.reload();
        });
      }
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }

  /** Stops following changes made elsewhere. */
  close(): Promise<void> {
    return this.sync.close();
  }

  get registry(): boolean {
    return this.options.registry;
  }

  exists(account_id: string): Promise<boolean> {
    return Promise.resolve(!this.options.registry || this.accounts.has(account_id));
  }

  /** The account's policy; NOT_FOUND for an unknown account (registry mode). */
  policyOf(account_id: string): Promise<NamespacePolicy> {
    if (!this.options.registry) return Promise.resolve(DEFAULT_POLICY);
    return Promise.resolve(this.record(account_id).policy);
  }

  isRegisteredUser(account_id: string, user_id: string): Promise<boolean> {
    if (!this.options.registry) return Promise.resolve(true);
    return Promise.resolve(this.accounts.get(account_id)?.users.has(user_id) ?? false);
  }

  /** Creates the account's scope folders if missing (registry-less modes accept any account). */
  async prepare(account_id: string): Promise<void> {
    if (this.prepared.has(account_id)) return;
    await initAccount(this.files, account_id);
    this.prepared.add(account_id);
  }

  /** The owner of a user key, compared in constant time; undefined for an unknown key. */
  authenticate(key: string): KeyOwner | undefined {
    if (!this.options.registry) return undefined;
    let found: KeyOwner | undefined;
    for (const { account_id, user_id } of this.byPrefix.get(keyPrefixOf(key)) ?? []) {
      const user = this.accounts.get(account_id)?.users.get(user_id);
      if (user !== undefined && keyMatches(key, user)) found = { account_id, user_id, role: user.role };
    }
    return found;
  }

  listAccounts(): AccountInfo[] {
    return [...this.accounts.values()].map(infoOf).sort((a, b) => a.account_id.localeCompare(b.account_id));
  }

  getAccount(account_id: string): AccountInfo {
    return infoOf(this.record(account_id));
  }

  /** Creates an account with its first admin; returns the admin's key (shown once). */
  async createAccount(account_id: string, admin_user_id: string, policy: NamespacePolicy): Promise<string> {
    validateId(account_id, 'account_id');
    validateUserIdForRegistration(admin_user_id, 'admin_user_id');
    return this.mutex.run(account_id, async () => {
      if (this.accounts.has(account_id)) {
        throw new AppError('ALREADY_EXISTS', `account '${account_id}' already exists`, { account_id });
      }
      // Records an earlier account with this id left behind (its purge still queued behind a paused or
      // slow indexer, or lost in a crash) must never become the new tenant's: they are deleted from
      // the index before any key exists, and an indexing batch that read the old files before cannot
      // write them back. The queued re-read of the region (empty on disk here) follows as before; the
      // new account's writes queue after it, so it cannot drop their records.
      await this.options.hooks.purgeAccount?.(account_id);
      await this.options.hooks.removed(account_id, ROOT_URI);
      const key = generateKey();
      await this.create(account_id, policy, [newUser(admin_user_id, 'admin', key)]);
      return key;
    });
  }

  /** Removes the account's files, then its index records (through the hook). */
  async deleteAccount(account_id: string): Promise<void> {
    if (account_id === DEFAULT_ACCOUNT) {
      throw new AppError('PERMISSION_DENIED', 'the default account cannot be deleted', { account_id });
    }
    await this.mutex.run(account_id, async () => {
      this.record(account_id);
      // Gone from the storage in one step first, then from memory, then what is left is removed.
      const { version, cleanup } = await this.storage.deleteAccount(account_id);
      if (this.sync.committed(version)) {
        this.accounts.delete(account_id);
        this.reindex();
      }
      this.prepared.delete(account_id);
      await cleanup();
    });
    // The purge is journaled only now, after the deletion committed: in distributed mode a records
    // write of the old epoch either committed before the deletion (its share lock on the account's
    // row held the deletion back), so the purge removes it, or sees the deletion and writes nothing
    // (src/storage/pg/epochs.ts). A purge before the commit could be followed by such a write.
    await this.options.hooks.accountDeleted(account_id);
  }

  listUsers(account_id: string): { user_id: string; role: UserRole }[] {
    return [...this.record(account_id).users.values()]
      .map((user) => ({ user_id: user.user_id, role: user.role }))
      .sort((a, b) => a.user_id.localeCompare(b.user_id));
  }

  userRole(account_id: string, user_id: string): UserRole | undefined {
    return this.accounts.get(account_id)?.users.get(user_id)?.role;
  }

  /** Registers a user; returns its key (shown once). */
  async addUser(account_id: string, user_id: string, role: UserRole): Promise<string> {
    validateUserIdForRegistration(user_id);
    const key = generateKey();
    await this.updateUsers(account_id, (users) => {
      if (users.has(user_id)) {
        throw new AppError('ALREADY_EXISTS', `user '${user_id}' already exists`, { account_id, user_id });
      }
      users.set(user_id, newUser(user_id, role, key));
    });
    return key;
  }

  async removeUser(account_id: string, user_id: string): Promise<void> {
    await this.updateUsers(account_id, (users) => {
      this.userOf(users, account_id, user_id);
      users.delete(user_id);
    });
  }

  async setRole(account_id: string, user_id: string, role: UserRole): Promise<void> {
    await this.updateUsers(account_id, (users) => {
      users.set(user_id, { ...this.userOf(users, account_id, user_id), role });
    });
  }

  /** Replaces the user's key; the old one stops working as soon as this resolves. */
  async regenerateKey(account_id: string, user_id: string): Promise<string> {
    const key = generateKey();
    await this.updateUsers(account_id, (users) => {
      users.set(user_id, { ...this.userOf(users, account_id, user_id), ...storedKeyOf(key) });
    });
    return key;
  }

  private record(account_id: string): AccountRecord {
    const record = this.accounts.get(account_id);
    if (record === undefined)
      throw new AppError('NOT_FOUND', `account '${account_id}' not found`, { account_id });
    return record;
  }

  private userOf(users: ReadonlyMap<string, UserRecord>, account_id: string, user_id: string): UserRecord {
    const user = users.get(user_id);
    if (user === undefined) {
      throw new AppError('NOT_FOUND', `user '${user_id}' not found`, { account_id, user_id });
    }
    return user;
  }

  /** Change, store, then publish: memory only changes once the change is stored. */
  private async updateUsers(
    account_id: string,
    change: (users: Map<string, UserRecord>) => void,
  ): Promise<void> {
    await this.mutex.run(account_id, async () => {
      const { version, record } = await this.storage.updateUsers(this.record(account_id), change);
      if (this.sync.committed(version)) this.put(record);
    });
  }

  private put(record: AccountRecord): void {
    this.accounts.set(record.account_id, record);
    this.reindex();
  }

  /** A registry loaded whole (at start, or changed by another process). */
  private replaceAll(records: readonly AccountRecord[]): void {
    const before = new Map(this.accounts);
    this.accounts.clear();
    for (const record of records) this.accounts.set(record.account_id, record);
    for (const account_id of this.prepared)
      if (!this.accounts.has(account_id)) this.prepared.delete(account_id);
    this.reindex();
    // Gone, or deleted and created again (a new tenant under the old id) between two loads.
    for (const [account_id, old] of before) {
      if (this.accounts.get(account_id)?.created_at === old.created_at) continue;
      this.prepared.delete(account_id);
      this.options.forgotten?.(account_id).catch((error: unknown) => {
        this.options.log?.warn(
          { account_id, err: messageOf(error) },
          'dropping the caches of a deleted account failed',
        );
      });
    }
  }

  private reindex(): void {
    const index = new Map<string, { account_id: string; user_id: string }[]>();
    for (const record of this.accounts.values()) {
      for (const user of record.users.values()) {
        const owners = index.get(user.key_prefix) ?? [];
        owners.push({ account_id: record.account_id, user_id: user.user_id });
        index.set(user.key_prefix, owners);
      }
    }
    this.byPrefix = index;
  }

  private async create(account_id: string, policy: NamespacePolicy, users: UserRecord[]): Promise<void> {
    const record: AccountRecord = {
      account_id,
      created_at: new Date().toISOString(),
      policy: { ...policy },
      users: new Map(users.map((user) => [user.user_id, user])),
    };
    await initAccount(this.files, account_id);
    const { version } = await this.storage.createAccount(record);
    if (this.sync.committed(version)) this.put(record);
  }
}
