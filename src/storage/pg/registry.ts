/**
 * The account registry in PostgreSQL (distributed mode, SPEC 14): tables `accounts` and `users` of
 * migrations/pg/0001_base.sql. Every mutation is one transaction that locks the account's row and
 * works from the stored state (never the caller's copy, which another process may have outdated);
 * triggers bump `registry_version` and NOTIFY `registry_changed`, which {@link PgRegistryStorage.watch}
 * follows, polling the version as the safety net.
 */
import { AppError, messageOf } from '../../errors.js';
import type { Logger } from '../../log.js';
import { SettingSchema, UserSchema, type AccountRecord, type UserRecord } from '../../accounts/persist.js';
import type {
  Committed,
  RegistrySnapshot,
  RegistryStorage,
  StopWatching,
  UsersChange,
} from '../../accounts/registry-storage.js';
import { listen } from './listen.js';
import { query, withTransaction, type Pool, type PoolClient, type Queryable } from './pool.js';

export interface PgRegistryOptions {
  readonly log?: Logger;
  /** How often the version is polled, in case a notification was missed. */
  readonly pollMs?: number;
  /** False: follow changes by polling only (tests of the safety net). */
  readonly notify?: boolean;
}

interface AccountRow {
  account_id: string;
  settings: unknown;
  created_at: Date;
}

interface UserRow {
  account_id: string;
  user_id: string;
  role: string;
  key_prefix: string;
  key_hash: string;
  created_at: Date;
}

const USER_COLUMNS = 'account_id, user_id, role, key_prefix, key_hash, created_at';

export class PgRegistryStorage implements RegistryStorage {
  constructor(
    private readonly pool: Pool,
    private readonly options: PgRegistryOptions = {},
  ) {}

  /** Accounts, users and version from one snapshot of the database. */
  load(): Promise<RegistrySnapshot> {
    return withTransaction(
      this.pool,
      async (c) => {
        const version = await versionOf(c);
        const accounts = await query<AccountRow>(
          c,
          'SELECT account_id, settings, created_at FROM accounts WHERE deleted_at IS NULL ORDER BY account_id',
        );
        const users = await query<UserRow>(
          c,
          `SELECT ${USER_COLUMNS} FROM users ORDER BY account_id, user_id`,
        );
        const byAccount = new Map<string, UserRecord[]>();
        for (const row of users.rows) {
          const list = byAccount.get(row.account_id) ?? [];
          list.push(userOf(row));
          byAccount.set(row.account_id, list);
        }
        return {
          version,
          accounts: accounts.rows.map((row) => recordOf(row, byAccount.get(row.account_id) ?? [])),
        };
      },
      { isolation: 'repeatable read' },
    );
  }

  /** Inserts the account, or revives a deleted one's row with the next epoch. */
  createAccount(record: AccountRecord): Promise<Committed> {
    return withTransaction(this.pool, async (c) => {
      const created = await query(
        c,
        `INSERT INTO accounts (account_id, settings, created_at) VALUES ($1, $2::jsonb, $3)
         ON CONFLICT (account_id) DO UPDATE
           SET settings = EXCLUDED.settings, created_at = EXCLUDED.created_at,
               epoch = accounts.epoch + 1, deleted_at = NULL
           WHERE accounts.deleted_at IS NOT NULL`,
        [record.account_id, JSON.stringify(settingsOf(record)), record.created_at],
      );
      if (created.rowCount === 0) {
        throw new AppError('ALREADY_EXISTS', `account '${record.account_id}' already exists`, {
          account_id: record.account_id,
        });
      }
      await upsertUsers(c, record.account_id, [...record.users.values()]);
      return { version: await versionOf(c) };
    });
  }

  updateUsers(current: AccountRecord, change: UsersChange): Promise<Committed & { record: AccountRecord }> {
    const account_id = current.account_id;
    return withTransaction(this.pool, async (c) => {
      const account = await query<AccountRow>(
        c,
        'SELECT account_id, settings, created_at FROM accounts WHERE account_id = $1 AND deleted_at IS NULL FOR UPDATE',
        [account_id],
      );
      const row = account.rows[0];
      if (row === undefined)
        throw new AppError('NOT_FOUND', `account '${account_id}' not found`, { account_id });
      const stored = await query<UserRow>(c, `SELECT ${USER_COLUMNS} FROM users WHERE account_id = $1`, [
        account_id,
      ]);
      const before = new Map(stored.rows.map((r) => [r.user_id, userOf(r)]));
      const users = new Map(before);
      change(users);
      const gone = [...before.keys()].filter((user_id) => !users.has(user_id));
      if (gone.length > 0) {
        await query(c, 'DELETE FROM users WHERE account_id = $1 AND user_id = ANY($2::text[])', [
          account_id,
          gone,
        ]);
      }
      const changed = [...users.values()].filter((user) => !sameUser(before.get(user.user_id), user));
      await upsertUsers(c, account_id, changed);
      return { version: await versionOf(c), record: recordOf(row, [...users.values()]) };
    });
  }

  /**
   * Leaves a tombstone (its row with `deleted_at`; a re-created account gets the next epoch) and
   * removes the users and the account's files and sessions in the same transaction.
   */
  deleteAccount(account_id: string): Promise<Committed & { readonly cleanup: () => Promise<void> }> {
    return withTransaction(this.pool, async (c) => {
      const deleted = await query(
        c,
        'UPDATE accounts SET deleted_at = now() WHERE account_id = $1 AND deleted_at IS NULL',
        [account_id],
      );
      if (deleted.rowCount === 0)
        throw new AppError('NOT_FOUND', `account '${account_id}' not found`, { account_id });
      for (const table of ['users', 'messages', 'sessions', 'files']) {
        await query(c, `DELETE FROM ${table} WHERE account_id = $1`, [account_id]);
      }
      return { version: await versionOf(c), cleanup: () => Promise.resolve() };
    });
  }

  /** Notifications on `registry_changed`, and the version polled every `pollMs` (500 ms). */
  async watch(onChange: (version?: number) => void): Promise<StopWatching> {
    const log = this.options.log;
    const stopListening =
      this.options.notify === false
        ? () => Promise.resolve()
        : await listen(this.pool, 'registry_changed', () => onChange(), log ? { log } : {});
    let polling = false;
    const timer = setInterval(() => {
      if (polling) return;
      polling = true;
      versionOf(this.pool)
        .then(onChange, (error: unknown) => log?.debug({ err: messageOf(error) }, 'registry poll failed'))
        .finally(() => {
          polling = false;
        });
    }, this.options.pollMs ?? 500);
    timer.unref();
    return async () => {
      clearInterval(timer);
      await stopListening();
    };
  }
}

async function versionOf(db: Queryable): Promise<number> {
  const { rows } = await query<{ version: string }>(db, 'SELECT version FROM registry_version');
  return Number(rows[0]?.version ?? 0);
}

async function upsertUsers(c: PoolClient, account_id: string, users: readonly UserRecord[]): Promise<void> {
  for (const user of users) {
    await query(
      c,
      `INSERT INTO users (${USER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (account_id, user_id) DO UPDATE SET role = EXCLUDED.role,
         key_prefix = EXCLUDED.key_prefix, key_hash = EXCLUDED.key_hash, created_at = EXCLUDED.created_at`,
      [account_id, user.user_id, user.role, user.key_prefix, user.key_hash, user.created_at],
    );
  }
}

function sameUser(a: UserRecord | undefined, b: UserRecord): boolean {
  return (
    a !== undefined &&
    a.role === b.role &&
    a.key_prefix === b.key_prefix &&
    a.key_hash === b.key_hash &&
    a.created_at === b.created_at
  );
}

function settingsOf(record: AccountRecord): unknown {
  return {
    namespace: {
      isolate_user_scope_by_agent: record.policy.isolate_user_scope_by_agent,
      isolate_agent_scope_by_user: record.policy.isolate_agent_scope_by_user,
    },
  };
}

/** A stored row, checked like the local files are: a corrupt row is an error, never dropped. */
function recordOf(row: AccountRow, users: readonly UserRecord[]): AccountRecord {
  const settings = SettingSchema.safeParse(row.settings);
  if (!settings.success) throw new Error(`corrupt settings of account '${row.account_id}' in PostgreSQL`);
  return {
    account_id: row.account_id,
    created_at: row.created_at.toISOString(),
    policy: settings.data.namespace,
    users: new Map(users.map((user) => [user.user_id, user])),
  };
}

function userOf(row: UserRow): UserRecord {
  const user = UserSchema.safeParse({ ...row, created_at: row.created_at.toISOString() });
  if (!user.success)
    throw new Error(`corrupt user '${row.user_id}' of account '${row.account_id}' in PostgreSQL`);
  return user.data;
}
