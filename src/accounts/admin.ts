/**
 * Who may administer what (SPEC 6), for every door: ROOT runs the server-wide operations (accounts
 * and roles); ROOT or an ADMIN of an account runs that account's user operations. A caller first
 * obtains the operations its role allows — {@link AdminService.root} and {@link AdminService.account}
 * refuse anyone else — and then passes typed input, so a caller without the role is refused before
 * its input is even parsed. The input schemas are the ones the HTTP routes declare and parse with.
 */
import { z } from 'zod';
import { AppError } from '../errors.js';
import { validateId } from '../policy/ids.js';
import type { NamespacePolicy, RequestContext } from '../policy/types.js';
import type { AccountInfo, AccountStore, UserRole } from './store.js';

export const createAccountSchema = z.object({
  account_id: z.string(),
  admin_user_id: z.string(),
  isolate_user_scope_by_agent: z.boolean().optional(),
  isolate_agent_scope_by_user: z.boolean().optional(),
});
export type CreateAccountInput = z.output<typeof createAccountSchema>;

const userRoleSchema = z.enum(['user', 'admin']);
export const createUserSchema = z.object({ user_id: z.string(), role: userRoleSchema.default('user') });
export type CreateUserInput = z.output<typeof createUserSchema>;
export const setRoleSchema = z.object({ role: userRoleSchema });
export type SetRoleInput = z.output<typeof setRoleSchema>;

/** A new account: its policy and its first admin's key (shown once). */
export type CreatedAccount = NamespacePolicy & {
  readonly account_id: string;
  readonly admin_user_id: string;
  readonly user_key: string;
};

/** The server-wide operations, handed out to ROOT only. */
export class RootAdmin {
  constructor(private readonly accounts: AccountStore) {}

  async createAccount(input: CreateAccountInput): Promise<CreatedAccount> {
    const policy = {
      isolate_user_scope_by_agent: input.isolate_user_scope_by_agent ?? false,
      isolate_agent_scope_by_user: input.isolate_agent_scope_by_user ?? false,
    };
    const user_key = await this.accounts.createAccount(input.account_id, input.admin_user_id, policy);
    return { account_id: input.account_id, admin_user_id: input.admin_user_id, user_key, ...policy };
  }

  listAccounts(): AccountInfo[] {
    return this.accounts.listAccounts();
  }

  /** Removes the account, its files and its index records. */
  async deleteAccount(account_id: string): Promise<{ deleted: true }> {
    await this.accounts.deleteAccount(validateId(account_id, 'account_id'));
    return { deleted: true };
  }

  async setRole(
    account_id: string,
    user_id: string,
    { role }: SetRoleInput,
  ): Promise<{ account_id: string; user_id: string; role: UserRole }> {
    await this.accounts.setRole(validateId(account_id, 'account_id'), validateId(user_id, 'user_id'), role);
    return { account_id, user_id, role };
  }
}

/** One account's operations, handed out to ROOT and to that account's ADMINs. */
export class AccountAdmin {
  constructor(
    private readonly accounts: AccountStore,
    readonly account_id: string,
  ) {}

  info(): AccountInfo {
    return this.accounts.getAccount(this.account_id);
  }

  users(): { user_id: string; role: UserRole }[] {
    return this.accounts.listUsers(this.account_id);
  }

  /** Registers a user; the key is shown once. */
  async addUser(input: CreateUserInput): Promise<{ account_id: string; user_id: string; user_key: string }> {
    const user_key = await this.accounts.addUser(this.account_id, input.user_id, input.role);
    return { account_id: this.account_id, user_id: input.user_id, user_key };
  }

  async removeUser(user_id: string): Promise<{ deleted: true }> {
    await this.accounts.removeUser(this.account_id, validateId(user_id, 'user_id'));
    return { deleted: true };
  }

  /** Replaces the user's key; the old one stops working at once. */
  async regenerateKey(user_id: string): Promise<{ user_key: string }> {
    return { user_key: await this.accounts.regenerateKey(this.account_id, validateId(user_id, 'user_id')) };
  }
}

export class AdminService {
  constructor(private readonly accounts: AccountStore) {}

  /** The server-wide operations; PERMISSION_DENIED unless `ctx` is ROOT. */
  root(ctx: RequestContext): RootAdmin {
    if (ctx.role !== 'root') throw new AppError('PERMISSION_DENIED', 'only ROOT may do this');
    return new RootAdmin(this.accounts);
  }

  /**
   * The operations on `account_id`: ROOT, or an ADMIN whose key belongs to it. Anyone else gets
   * PERMISSION_DENIED, whether the account exists or not.
   */
  account(ctx: RequestContext, account_id: string): AccountAdmin {
    validateId(account_id, 'account_id');
    if (ctx.role === 'root' || (ctx.role === 'admin' && ctx.effective.account_id === account_id)) {
      return new AccountAdmin(this.accounts, account_id);
    }
    throw new AppError('PERMISSION_DENIED', `not an administrator of account '${account_id}'`);
  }
}
