/** What the account store answers about accounts and users, and how it makes their records. */
import { storedKeyOf } from './keys.js';
import type { AccountRecord, UserRecord } from './persist.js';

export type UserRole = 'admin' | 'user';

export interface AccountInfo {
  readonly account_id: string;
  readonly created_at: string;
  readonly user_count: number;
  readonly isolate_user_scope_by_agent: boolean;
  readonly isolate_agent_scope_by_user: boolean;
}

/** Who a user key belongs to. */
export interface KeyOwner {
  readonly account_id: string;
  readonly user_id: string;
  readonly role: UserRole;
}

export function newUser(user_id: string, role: UserRole, key: string): UserRecord {
  return { user_id, role, ...storedKeyOf(key), created_at: new Date().toISOString() };
}

export function infoOf(record: AccountRecord): AccountInfo {
  return {
    account_id: record.account_id,
    created_at: record.created_at,
    user_count: record.users.size,
    isolate_user_scope_by_agent: record.policy.isolate_user_scope_by_agent,
    isolate_agent_scope_by_user: record.policy.isolate_agent_scope_by_user,
  };
}
