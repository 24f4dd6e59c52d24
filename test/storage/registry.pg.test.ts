import { AccountStore } from '../../src/accounts/store.js';
import { NO_HOOKS } from '../../src/hooks.js';
import { createPool, type Pool } from '../../src/storage/pg/pool.js';
import { PgRegistryStorage, type PgRegistryOptions } from '../../src/storage/pg/registry.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { tempDir } from '../helpers/temp-dir.js';
import { registrySuite } from './registry-suite.js';

registrySuite('PostgreSQL (distributed mode)', async () => {
  const db = await createTestDatabase();
  const dir = tempDir('vs-registry-pg-');
  const pools: Pool[] = [];
  return {
    storage: new PgRegistryStorage(db.pool),
    dataDir: dir.path,
    reopen: () => {
      const pool = createPool(db.url);
      pools.push(pool);
      return Promise.resolve(new PgRegistryStorage(pool));
    },
    close: async () => {
      await Promise.all(pools.map((pool) => pool.end()));
      await db.drop();
      dir.remove();
    },
  };
});

const POLICY = { isolate_user_scope_by_agent: false, isolate_agent_scope_by_user: false };

/** Polls `check` until it holds; fails after `ms`. Returns how long it took. */
async function within(ms: number, check: () => boolean | Promise<boolean>): Promise<number> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > ms) throw new Error(`not seen within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return Date.now() - start;
}

describe('the registry in PostgreSQL shared by several processes', () => {
  let db: TestDatabase;
  let dir: ReturnType<typeof tempDir>;
  const pools: Pool[] = [];
  const stores: AccountStore[] = [];

  /** An AccountStore of another "process": its own pool, storage and change feed. */
  const startProcess = async (options: PgRegistryOptions = {}) => {
    const pool = createPool(db.url);
    pools.push(pool);
    const store = await AccountStore.open({
      dataDir: dir.path,
      registry: true,
      hooks: NO_HOOKS,
      storage: new PgRegistryStorage(pool, options),
    });
    stores.push(store);
    return store;
  };

  beforeEach(async () => {
    db = await createTestDatabase();
    dir = tempDir('vs-registry-pg-');
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
    await Promise.all(pools.splice(0).map((pool) => pool.end()));
    await db.drop();
    dir.remove();
  });

  test('processes starting at once on an empty database all start, with one default account', async () => {
    const started = await Promise.all([startProcess(), startProcess(), startProcess()]);
    for (const store of started) expect(store.listAccounts().map((a) => a.account_id)).toEqual(['default']);
    const { rows } = await db.pool.query('SELECT account_id FROM accounts');
    expect(rows).toEqual([{ account_id: 'default' }]);
  });

  test('a new user, a rotated key, a removed user and a deleted account reach the other process within 1 s', async () => {
    const a = await startProcess();
    const b = await startProcess();
    const aliceKey = await a.createAccount('acme', 'alice', POLICY);
    await within(1000, () => b.authenticate(aliceKey)?.user_id === 'alice');

    const bobKey = await a.addUser('acme', 'bob', 'user');
    await within(1000, () => b.authenticate(bobKey)?.user_id === 'bob');

    const bobNewKey = await a.regenerateKey('acme', 'bob');
    await within(1000, () => b.authenticate(bobKey) === undefined && b.authenticate(bobNewKey) !== undefined);

    await a.setRole('acme', 'bob', 'admin');
    await within(1000, () => b.userRole('acme', 'bob') === 'admin');

    await a.removeUser('acme', 'bob');
    await within(1000, () => b.authenticate(bobNewKey) === undefined);

    await a.deleteAccount('acme');
    await within(1000, async () => b.authenticate(aliceKey) === undefined && !(await b.exists('acme')));
  });

  test('polling alone (no notification) catches a change within 1 s', async () => {
    const a = await startProcess();
    // A process whose LISTEN connection never gets a notification: only the version poll is left.
    const b = await startProcess({ pollMs: 500, notify: false });
    const key = await a.createAccount('acme', 'alice', POLICY);
    const took = await within(1000, () => b.authenticate(key) !== undefined);
    expect(took).toBeGreaterThan(0);
  });

  test('two processes adding users to one account at once lose none', async () => {
    const a = await startProcess();
    const b = await startProcess();
    await a.createAccount('acme', 'alice', POLICY);
    await within(1000, () => b.listAccounts().some((x) => x.account_id === 'acme'));
    const keys = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).addUser('acme', `u${i}`, 'user')),
    );
    const { rows } = await db.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM users WHERE account_id = 'acme'",
    );
    expect(rows[0]?.n).toBe(11);
    for (const store of [a, b]) {
      await within(1000, () => keys.every((key) => store.authenticate(key) !== undefined));
    }
  });

  test('a process whose registry is stale still checks against the stored one (no key overwritten)', async () => {
    const a = await startProcess();
    await a.createAccount('acme', 'alice', POLICY);
    // b loads the registry once at start, then never hears of a change.
    const b = await startProcess({ notify: false, pollMs: 60_000 });
    const bobKey = await a.addUser('acme', 'bob', 'user');
    await expect(b.addUser('acme', 'bob', 'admin')).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    await a.removeUser('acme', 'bob');
    // b still has bob in memory, but he is gone: NOT_FOUND from the stored registry, nothing revived.
    await expect(b.setRole('acme', 'bob', 'admin')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const { rows } = await db.pool.query("SELECT user_id FROM users WHERE account_id = 'acme'");
    expect(rows).toEqual([{ user_id: 'alice' }]);
    expect(a.authenticate(bobKey)).toBeUndefined();
  });

  test('an account created in another process cannot be created again here, even before the reload', async () => {
    const a = await startProcess();
    const b = await startProcess({ notify: false, pollMs: 60_000 });
    await a.createAccount('acme', 'alice', POLICY);
    await expect(b.createAccount('acme', 'mallory', POLICY)).rejects.toMatchObject({
      code: 'ALREADY_EXISTS',
    });
    const { rows } = await db.pool.query("SELECT user_id FROM users WHERE account_id = 'acme'");
    expect(rows).toEqual([{ user_id: 'alice' }]);
  });

  test('a deleted account keeps a tombstone: created again, it gets the next epoch (purge fencing)', async () => {
    const a = await startProcess();
    await a.createAccount('acme', 'alice', POLICY);
    await a.deleteAccount('acme');
    const gone = await db.pool.query(
      "SELECT epoch, deleted_at IS NOT NULL AS deleted FROM accounts WHERE account_id = 'acme'",
    );
    expect(gone.rows).toEqual([{ epoch: '1', deleted: true }]);
    await a.createAccount('acme', 'zed', POLICY);
    const again = await db.pool.query("SELECT epoch, deleted_at FROM accounts WHERE account_id = 'acme'");
    expect(again.rows).toEqual([{ epoch: '2', deleted_at: null }]);
    expect(a.listUsers('acme')).toEqual([{ user_id: 'zed', role: 'admin' }]);
  });

  test('every connection killed (as by a PostgreSQL restart): writes are UNAVAILABLE at worst, both recover by themselves', async () => {
    const a = await startProcess();
    const b = await startProcess();
    const aliceKey = await a.createAccount('acme', 'alice', POLICY);
    await within(1000, () => b.authenticate(aliceKey) !== undefined);
    await db.pool.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    );
    // A client retrying on 503 as told: nothing but UNAVAILABLE on the way.
    const codes: unknown[] = [];
    let bobKey: string | undefined;
    while (bobKey === undefined) {
      bobKey = await a.addUser('acme', 'bob', 'user').catch((error: unknown) => {
        codes.push((error as { code?: unknown }).code);
        return undefined;
      });
      if (codes.length > 20) throw new Error(`no recovery: ${JSON.stringify(codes)}`);
    }
    expect(codes.every((code) => code === 'UNAVAILABLE')).toBe(true);
    const key = bobKey;
    await within(2000, () => b.authenticate(key)?.user_id === 'bob');
  });

  test('starting while PostgreSQL is unreachable fails with UNAVAILABLE', async () => {
    const dead = createPool('postgres://postgres@127.0.0.1:1/none', { connectionTimeoutMs: 1000 });
    try {
      await expect(
        AccountStore.open({
          dataDir: dir.path,
          registry: true,
          hooks: NO_HOOKS,
          storage: new PgRegistryStorage(dead),
        }),
      ).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    } finally {
      await dead.end();
    }
  });

  test('every change bumps registry_version and is announced on registry_changed', async () => {
    const a = await startProcess();
    const before = await db.pool.query<{ version: string }>('SELECT version FROM registry_version');
    const listener = await db.pool.connect();
    const heard: string[] = [];
    listener.on('notification', (n) => heard.push(n.channel));
    await listener.query('LISTEN registry_changed');
    try {
      await a.createAccount('acme', 'alice', POLICY);
      await within(1000, () => heard.length > 0);
      const after = await db.pool.query<{ version: string }>('SELECT version FROM registry_version');
      expect(Number(after.rows[0]?.version)).toBeGreaterThan(Number(before.rows[0]?.version));
      expect(heard[0]).toBe('registry_changed');
    } finally {
      await listener.query('UNLISTEN *');
      listener.release();
    }
  });
});
