/**
 * The contract of a RegistryStorage (src/accounts/registry-storage.ts), run against every
 * implementation: the local files of the embedded mode and PostgreSQL. Each implementation's test
 * file calls {@link registrySuite} with a factory of fresh, empty storages.
 */
import { generateKey, storedKeyOf } from '../../src/accounts/keys.js';
import type { AccountRecord, UserRecord } from '../../src/accounts/persist.js';
import type { RegistryStorage } from '../../src/accounts/registry-storage.js';
import { AccountStore } from '../../src/accounts/store.js';
import { NO_HOOKS } from '../../src/hooks.js';

export interface StorageFixture {
  readonly storage: RegistryStorage;
  /** The DATA_DIR of an AccountStore on this storage (scope folders live there). */
  readonly dataDir: string;
  /** Another storage on the same stored registry (a restart). */
  reopen(): Promise<RegistryStorage>;
  close(): Promise<void>;
}

const user = (user_id: string, role: UserRecord['role'] = 'user'): UserRecord => ({
  user_id,
  role,
  ...storedKeyOf(generateKey()),
  created_at: new Date().toISOString(),
});

const account = (account_id: string, users: UserRecord[], split = false): AccountRecord => ({
  account_id,
  created_at: new Date().toISOString(),
  policy: { isolate_user_scope_by_agent: split, isolate_agent_scope_by_user: false },
  users: new Map(users.map((u) => [u.user_id, u])),
});

/** A record in a form `toEqual` compares fully (users sorted). */
const plain = (record: AccountRecord) => ({
  ...record,
  users: [...record.users.values()].sort((a, b) => a.user_id.localeCompare(b.user_id)),
});

const byId = async (storage: RegistryStorage) =>
  new Map((await storage.load()).accounts.map((record) => [record.account_id, plain(record)]));

export function registrySuite(name: string, make: () => Promise<StorageFixture>): void {
  describe(`RegistryStorage: ${name}`, () => {
    let fx: StorageFixture;
    beforeEach(async () => {
      fx = await make();
    });
    afterEach(async () => {
      await fx.close();
    });

    test('an empty registry loads no accounts', async () => {
      const snapshot = await fx.storage.load();
      expect(snapshot.accounts).toEqual([]);
      expect(Number.isInteger(snapshot.version)).toBe(true);
    });

    test('a created account loads back exactly, also after a restart', async () => {
      const acme = account('acme', [user('alice', 'admin'), user('bob')], true);
      await fx.storage.createAccount(acme);
      expect(await byId(fx.storage)).toEqual(new Map([['acme', plain(acme)]]));
      expect(await byId(await fx.reopen())).toEqual(new Map([['acme', plain(acme)]]));
    });

    test('updateUsers adds, changes and removes users of one account only', async () => {
      const acme = account('acme', [user('alice', 'admin'), user('bob')]);
      const other = account('other', [user('alice', 'admin')]);
      await fx.storage.createAccount(acme);
      await fx.storage.createAccount(other);
      const carol = user('carol');
      const rotated = storedKeyOf(generateKey());
      const { record } = await fx.storage.updateUsers(acme, (users) => {
        users.set('carol', carol);
        users.delete('bob');
        const alice = users.get('alice');
        if (alice !== undefined) users.set('alice', { ...alice, ...rotated, role: 'user' });
      });
      const loaded = await byId(await fx.reopen());
      expect(loaded.get('acme')).toEqual(plain(record));
      expect(loaded.get('acme')?.users.map((u) => [u.user_id, u.role, u.key_hash])).toEqual([
        ['alice', 'user', rotated.key_hash],
        ['carol', 'user', carol.key_hash],
      ]);
      expect(loaded.get('other')).toEqual(plain(other));
    });

    test('a change that throws stores nothing', async () => {
      const acme = account('acme', [user('alice', 'admin')]);
      await fx.storage.createAccount(acme);
      await expect(
        fx.storage.updateUsers(acme, (users) => {
          users.delete('alice');
          throw new Error('refused');
        }),
      ).rejects.toThrow('refused');
      expect(await byId(fx.storage)).toEqual(new Map([['acme', plain(acme)]]));
    });

    test('a deleted account is gone; one created again with its id starts empty', async () => {
      await fx.storage.createAccount(account('acme', [user('alice', 'admin'), user('bob')]));
      await fx.storage.createAccount(account('keep', [user('kim', 'admin')]));
      const { cleanup } = await fx.storage.deleteAccount('acme');
      await cleanup();
      expect([...(await byId(fx.storage)).keys()]).toEqual(['keep']);
      const again = account('acme', [user('zed', 'admin')], true);
      await fx.storage.createAccount(again);
      expect((await byId(await fx.reopen())).get('acme')).toEqual(plain(again));
    });

    describe('through an AccountStore', () => {
      const stores: AccountStore[] = [];
      const open = async (storage: RegistryStorage) => {
        const store = await AccountStore.open({
          dataDir: fx.dataDir,
          registry: true,
          hooks: NO_HOOKS,
          storage,
        });
        stores.push(store);
        return store;
      };
      afterEach(async () => {
        await Promise.all(stores.splice(0).map((store) => store.close()));
      });

      test('keys, roles and accounts survive a restart; removed ones stay removed', async () => {
        const store = await open(fx.storage);
        expect(store.listAccounts().map((a) => a.account_id)).toEqual(['default']);
        const adminKey = await store.createAccount('acme', 'alice', {
          isolate_user_scope_by_agent: true,
          isolate_agent_scope_by_user: false,
        });
        const bobKey = await store.addUser('acme', 'bob', 'user');
        const carolKey = await store.addUser('acme', 'carol', 'user');
        const bobNewKey = await store.regenerateKey('acme', 'bob');
        await store.setRole('acme', 'bob', 'admin');
        await store.removeUser('acme', 'carol');
        await store.createAccount('gone', 'gina', {
          isolate_user_scope_by_agent: false,
          isolate_agent_scope_by_user: false,
        });
        await store.deleteAccount('gone');

        const restarted = await open(await fx.reopen());
        expect(
          restarted.listAccounts().map((a) => [a.account_id, a.user_count, a.isolate_user_scope_by_agent]),
        ).toEqual([
          ['acme', 2, true],
          ['default', 0, false],
        ]);
        expect(restarted.authenticate(adminKey)).toEqual({
          account_id: 'acme',
          user_id: 'alice',
          role: 'admin',
        });
        expect(restarted.authenticate(bobNewKey)).toEqual({
          account_id: 'acme',
          user_id: 'bob',
          role: 'admin',
        });
        expect(restarted.authenticate(bobKey)).toBeUndefined();
        expect(restarted.authenticate(carolKey)).toBeUndefined();
        await expect(restarted.exists('gone')).resolves.toBe(false);
      });

      test('refusals change nothing', async () => {
        const store = await open(fx.storage);
        await store.createAccount('acme', 'alice', {
          isolate_user_scope_by_agent: false,
          isolate_agent_scope_by_user: false,
        });
        await expect(store.addUser('acme', 'alice', 'user')).rejects.toMatchObject({
          code: 'ALREADY_EXISTS',
        });
        await expect(store.removeUser('acme', 'nobody')).rejects.toMatchObject({ code: 'NOT_FOUND' });
        await expect(
          store.createAccount('acme', 'x', {
            isolate_user_scope_by_agent: false,
            isolate_agent_scope_by_user: false,
          }),
        ).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
        const restarted = await open(await fx.reopen());
        expect(restarted.listUsers('acme')).toEqual([{ user_id: 'alice', role: 'admin' }]);
      });
    });
  });
}
