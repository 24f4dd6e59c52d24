/**
 * The admin API (SPEC 6) under /api/v1/admin: accounts, users, roles and keys. Every route checks the
 * caller's role, then validates path and body, before the account store writes anything.
 */
import { Router, type Request } from 'express';
import { z } from 'zod';
import type { AccountStore } from '../../accounts/store.js';
import { AppError } from '../../errors.js';
import { validateId } from '../../policy/ids.js';
import type { RequestContext } from '../../policy/types.js';
import { contextOf, paramOf, sendOk } from '../context.js';
import { route } from '../openapi/route.js';

const CreateAccountBody = z.object({
  account_id: z.string(),
  admin_user_id: z.string(),
  isolate_user_scope_by_agent: z.boolean().optional(),
  isolate_agent_scope_by_user: z.boolean().optional(),
});

const UserRoleSchema = z.enum(['user', 'admin']);
const CreateUserBody = z.object({ user_id: z.string(), role: UserRoleSchema.default('user') });
const SetRoleBody = z.object({ role: UserRoleSchema });

function requireRoot(ctx: RequestContext): void {
  if (ctx.role !== 'root') throw new AppError('PERMISSION_DENIED', 'only ROOT may do this');
}

/** ROOT, or an ADMIN whose key belongs to `account_id` (an ADMIN elsewhere gets 403, existence unknown). */
function requireRootOrAdminOf(ctx: RequestContext, account_id: string): void {
  if (ctx.role === 'root') return;
  if (ctx.role === 'admin' && ctx.effective.account_id === account_id) return;
  throw new AppError('PERMISSION_DENIED', `not an administrator of account '${account_id}'`);
}

function param(req: Request, name: 'id' | 'uid'): string {
  return validateId(paramOf(req, name), name === 'id' ? 'account_id' : 'user_id');
}

const tag = 'admin';
const access = 'system';

function accountRoutes(router: Router, accounts: AccountStore): void {
  route(
    router,
    {
      method: 'post',
      path: '/accounts',
      tag,
      access,
      summary: 'Create an account with its first admin (ROOT); the key is shown once',
      body: CreateAccountBody,
      example: {
        body: {
          account_id: 'acme',
          admin_user_id: 'alice',
          isolate_user_scope_by_agent: false,
          isolate_agent_scope_by_user: true,
        },
      },
    },
    async (req, res, input) => {
      requireRoot(contextOf(req));
      const body = input.body();
      const policy = {
        isolate_user_scope_by_agent: body.isolate_user_scope_by_agent ?? false,
        isolate_agent_scope_by_user: body.isolate_agent_scope_by_user ?? false,
      };
      const user_key = await accounts.createAccount(body.account_id, body.admin_user_id, policy);
      sendOk(res, { account_id: body.account_id, admin_user_id: body.admin_user_id, user_key, ...policy });
    },
  );
  route(
    router,
    { method: 'get', path: '/accounts', tag, access, summary: 'All accounts with their policies (ROOT)' },
    (req, res) => {
      requireRoot(contextOf(req));
      sendOk(res, accounts.listAccounts());
    },
  );
  route(
    router,
    { method: 'get', path: '/accounts/:id', tag, access, summary: 'One account (ROOT, its ADMIN)' },
    (req, res) => {
      const account_id = param(req, 'id');
      requireRootOrAdminOf(contextOf(req), account_id);
      sendOk(res, accounts.getAccount(account_id));
    },
  );
  route(
    router,
    {
      method: 'delete',
      path: '/accounts/:id',
      tag,
      access,
      summary: 'Delete an account, its files and its index records (ROOT)',
    },
    async (req, res) => {
      const account_id = param(req, 'id');
      requireRoot(contextOf(req));
      await accounts.deleteAccount(account_id);
      sendOk(res, { deleted: true });
    },
  );
}

function userRoutes(router: Router, accounts: AccountStore): void {
  route(
    router,
    {
      method: 'post',
      path: '/accounts/:id/users',
      tag,
      access,
      summary: 'Register a user (ROOT, its ADMIN); the key is shown once',
      body: CreateUserBody,
      example: { body: { user_id: 'bob', role: 'user' } },
    },
    async (req, res, input) => {
      const account_id = param(req, 'id');
      requireRootOrAdminOf(contextOf(req), account_id);
      const body = input.body();
      const user_key = await accounts.addUser(account_id, body.user_id, body.role);
      sendOk(res, { account_id, user_id: body.user_id, user_key });
    },
  );
  route(
    router,
    { method: 'get', path: '/accounts/:id/users', tag, access, summary: "An account's users and roles" },
    (req, res) => {
      const account_id = param(req, 'id');
      requireRootOrAdminOf(contextOf(req), account_id);
      sendOk(res, accounts.listUsers(account_id));
    },
  );
  route(
    router,
    {
      method: 'delete',
      path: '/accounts/:id/users/:uid',
      tag,
      access,
      summary: 'Remove a user (ROOT, its ADMIN)',
    },
    async (req, res) => {
      const account_id = param(req, 'id');
      const user_id = param(req, 'uid');
      requireRootOrAdminOf(contextOf(req), account_id);
      await accounts.removeUser(account_id, user_id);
      sendOk(res, { deleted: true });
    },
  );
  route(
    router,
    {
      method: 'put',
      path: '/accounts/:id/users/:uid/role',
      tag,
      access,
      summary: "Change a user's role (ROOT)",
      body: SetRoleBody,
      example: { body: { role: 'admin' } },
    },
    async (req, res, input) => {
      const account_id = param(req, 'id');
      const user_id = param(req, 'uid');
      requireRoot(contextOf(req));
      const { role } = input.body();
      await accounts.setRole(account_id, user_id, role);
      sendOk(res, { account_id, user_id, role });
    },
  );
  route(
    router,
    {
      method: 'post',
      path: '/accounts/:id/users/:uid/key',
      tag,
      access,
      summary: "Replace a user's key; the old one stops working",
    },
    async (req, res) => {
      const account_id = param(req, 'id');
      const user_id = param(req, 'uid');
      requireRootOrAdminOf(contextOf(req), account_id);
      sendOk(res, { user_key: await accounts.regenerateKey(account_id, user_id) });
    },
  );
}

/** The router for /api/v1/admin (auth has already run). */
export function adminRouter(accounts: AccountStore): Router {
  const router = Router();
  accountRoutes(router, accounts);
  userRoutes(router, accounts);
  return router;
}
