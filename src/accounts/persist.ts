/**
 * On-disk form of the account registry (the embedded mode's {@link RegistryStorage}). Per account,
 * under `{DATA_DIR}/fs/{account}/_system/`: `setting.json` holds the namespace policy exactly as
 * SPEC 2, `users.json` the users with hashed keys. `setting.json` is written last when an account is
 * created, so it marks a complete account.
 */
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { errnoOf, messageOf } from '../errors.js';
import { isValidId } from '../policy/ids.js';
import type { NamespacePolicy } from '../policy/types.js';
import { writeFileAtomic } from '../storage/atomic.js';
import { DIR_MODE } from '../storage/modes.js';
import { accountDir, systemDir } from '../storage/paths.js';
import type { Committed, RegistrySnapshot, RegistryStorage, UsersChange } from './registry-storage.js';

/** SPEC 2's `setting.json` (also the `settings` of an account row in PostgreSQL). */
export const SettingSchema = z.object({
  namespace: z.object({
    isolate_user_scope_by_agent: z.boolean(),
    isolate_agent_scope_by_user: z.boolean(),
  }),
});

export const UserSchema = z.object({
  user_id: z.string(),
  role: z.enum(['admin', 'user']),
  key_prefix: z.string(),
  key_hash: z.string().regex(/^[0-9a-f]{64}$/),
  created_at: z.string(),
});

const UsersFileSchema = z.object({
  account_id: z.string(),
  created_at: z.string(),
  users: z.array(UserSchema),
});

export type UserRecord = z.infer<typeof UserSchema>;

export interface AccountRecord {
  readonly account_id: string;
  readonly created_at: string;
  readonly policy: NamespacePolicy;
  readonly users: ReadonlyMap<string, UserRecord>;
}

const settingPath = (dataDir: string, id: string) => join(systemDir(dataDir, id), 'setting.json');
const usersPath = (dataDir: string, id: string) => join(systemDir(dataDir, id), 'users.json');

export async function saveSetting(
  dataDir: string,
  account_id: string,
  policy: NamespacePolicy,
): Promise<void> {
  const setting = {
    namespace: {
      isolate_user_scope_by_agent: policy.isolate_user_scope_by_agent,
      isolate_agent_scope_by_user: policy.isolate_agent_scope_by_user,
    },
  };
  await writeFileAtomic(settingPath(dataDir, account_id), `${JSON.stringify(setting, null, 2)}\n`);
}

export async function saveUsers(dataDir: string, record: AccountRecord): Promise<void> {
  const file = {
    account_id: record.account_id,
    created_at: record.created_at,
    users: [...record.users.values()],
  };
  await writeFileAtomic(usersPath(dataDir, record.account_id), `${JSON.stringify(file, null, 2)}\n`);
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return undefined;
    throw new Error(`cannot read ${path}: ${messageOf(error)}`, { cause: error });
  }
}

/** Loads one account, or undefined if it has no `setting.json` (an unfinished creation). */
async function loadAccount(dataDir: string, account_id: string): Promise<AccountRecord | undefined> {
  const rawSetting = await readJson(settingPath(dataDir, account_id));
  if (rawSetting === undefined) return undefined;
  const setting = SettingSchema.safeParse(rawSetting);
  if (!setting.success) throw new Error(`corrupt ${settingPath(dataDir, account_id)}`);
  const rawUsers = await readJson(usersPath(dataDir, account_id));
  const users = rawUsers === undefined ? undefined : UsersFileSchema.safeParse(rawUsers);
  if (users !== undefined && !users.success) throw new Error(`corrupt ${usersPath(dataDir, account_id)}`);
  return {
    account_id,
    created_at: users?.data.created_at ?? new Date(0).toISOString(),
    policy: setting.data.namespace,
    users: new Map((users?.data.users ?? []).map((user) => [user.user_id, user])),
  };
}

/** Every complete account under `{DATA_DIR}/fs`. A corrupt file is an error (never silently dropped). */
export async function loadAccounts(dataDir: string): Promise<AccountRecord[]> {
  let names: string[];
  try {
    names = await readdir(join(dataDir, 'fs'));
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return [];
    throw error;
  }
  const loaded = await Promise.all(names.filter(isValidId).map((name) => loadAccount(dataDir, name)));
  return loaded.filter((record): record is AccountRecord => record !== undefined);
}

/** The registry in `{DATA_DIR}/fs`, written by this process only (DATA_DIR's lock). */
export class LocalRegistryStorage implements RegistryStorage {
  constructor(private readonly dataDir: string) {}

  /** Also removes what an account deletion interrupted by a crash left in `{DATA_DIR}/trash`. */
  async load(): Promise<RegistrySnapshot> {
    await rm(join(this.dataDir, 'trash'), { recursive: true, force: true });
    return { version: 0, accounts: await loadAccounts(this.dataDir) };
  }

  async createAccount(record: AccountRecord): Promise<Committed> {
    await saveUsers(this.dataDir, record);
    await saveSetting(this.dataDir, record.account_id, record.policy);
    return { version: 0 };
  }

  /** Copy, change, write: `current` is the truth, as only this process writes. */
  async updateUsers(
    current: AccountRecord,
    change: UsersChange,
  ): Promise<Committed & { record: AccountRecord }> {
    const users = new Map(current.users);
    change(users);
    const record: AccountRecord = { ...current, users };
    await saveUsers(this.dataDir, record);
    return { version: 0, record };
  }

  /** Renames the account's folder away (gone in one step); `cleanup` removes the copy. */
  async deleteAccount(account_id: string): Promise<Committed & { readonly cleanup: () => Promise<void> }> {
    const trash = join(this.dataDir, 'trash', `${account_id}-${Date.now()}`);
    await mkdir(join(this.dataDir, 'trash'), { recursive: true, mode: DIR_MODE });
    await rename(accountDir(this.dataDir, account_id), trash).catch((error: unknown) => {
      if (errnoOf(error) !== 'ENOENT') throw error;
    });
    return { version: 0, cleanup: () => rm(trash, { recursive: true, force: true }) };
  }

  /** Nobody else writes here. */
  watch(): Promise<() => Promise<void>> {
    return Promise.resolve(() => Promise.resolve());
  }
}
