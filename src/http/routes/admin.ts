/**
 * The admin API (SPEC 6) under /api/v1/admin: accounts, users, roles and keys. Every route parses its
 * path ids, obtains from the {@link AdminService} the operations the caller's role allows (403
 * otherwise), and only then parses the body and runs the operation.
 */
import { Router, type Request } from 'express';
import {
  createAccountSchema,
  createUserSchema,
  setRoleSchema,
  type AdminService,
} from '../../accounts/admin.js';
import { validateId } from '../../policy/ids.js';
import { contextOf, paramOf, sendOk } from '../context.js';
import { route } from '../openapi/route.js';
import {
  accountCreated,
  accountInfo,
  accountList,
  deleted,
  keyReplaced,
  roleSet,
  userCreated,
  userList,
} from '../openapi/results-system.js';

/** A path id, parsed before anything else (a malformed one is a 400 whoever asks). */
function param(req: Request, name: 'id' | 'uid'): string {
  return validateId(paramOf(req, name), name === 'id' ? 'account_id' : 'user_id');
}

const tag = 'admin';
const access = 'system';

function accountRoutes(router: Router, admin: AdminService): void {
  route(
    router,
    {
      method: 'post',
      path: '/accounts',
      changes: true,
      result: accountCreated,
      tag,
      access,
      summary: 'Create an account with its first admin (ROOT); the key is shown once',
      body: createAccountSchema,
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
      const root = admin.root(contextOf(req));
      sendOk(res, await root.createAccount(input.body()));
    },
  );
  route(
    router,
    {
      method: 'get',
      path: '/accounts',
      result: accountList,
      tag,
      access,
      summary: 'All accounts with their policies (ROOT)',
    },
    (req, res) => sendOk(res, admin.root(contextOf(req)).listAccounts()),
  );
  route(
    router,
    {
      method: 'get',
      path: '/accounts/:id',
      result: accountInfo,
      tag,
      access,
      summary: 'One account (ROOT, its ADMIN)',
    },
    (req, res) => sendOk(res, admin.account(contextOf(req), param(req, 'id')).info()),
  );
  route(
    router,
    {
      method: 'delete',
      path: '/accounts/:id',
      changes: true,
      result: deleted,
      tag,
      access,
      summary: 'Delete an account, its files and its index records (ROOT)',
    },
    async (req, res) => {
      const account_id = param(req, 'id');
      sendOk(res, await admin.root(contextOf(req)).deleteAccount(account_id));
    },
  );
}

function userRoutes(router: Router, admin: AdminService): void {
  route(
    router,
    {
      method: 'post',
      path: '/accounts/:id/users',
      changes: true,
      result: userCreated,
      tag,
      access,
      summary: 'Register a user (ROOT, its ADMIN); the key is shown once',
      body: createUserSchema,
      example: { body: { user_id: 'bob', role: 'user' } },
    },
    async (req, res, input) => {
      const account = admin.account(contextOf(req), param(req, 'id'));
      sendOk(res, await account.addUser(input.body()));
    },
  );
  route(
    router,
    {
      method: 'get',
      path: '/accounts/:id/users',
      result: userList,
      tag,
      access,
      summary: "An account's users and roles",
    },
    (req, res) => sendOk(res, admin.account(contextOf(req), param(req, 'id')).users()),
  );
  route(
    router,
    {
      method: 'delete',
      path: '/accounts/:id/users/:uid',
      changes: true,
      result: deleted,
      tag,
      access,
      summary: 'Remove a user (ROOT, its ADMIN)',
    },
    async (req, res) => {
      const [account_id, user_id] = [param(req, 'id'), param(req, 'uid')];
      sendOk(res, await admin.account(contextOf(req), account_id).removeUser(user_id));
    },
  );
  route(
    router,
    {
      method: 'put',
      path: '/accounts/:id/users/:uid/role',
      changes: true,
      result: roleSet,
      tag,
      access,
      summary: "Change a user's role (ROOT)",
      body: setRoleSchema,
      example: { body: { role: 'admin' } },
    },
    async (req, res, input) => {
      const [account_id, user_id] = [param(req, 'id'), param(req, 'uid')];
      const root = admin.root(contextOf(req));
      sendOk(res, await root.setRole(account_id, user_id, input.body()));
    },
  );
  route(
    router,
    {
      method: 'post',
      path: '/accounts/:id/users/:uid/key',
      changes: true,
      result: keyReplaced,
      tag,
      access,
      summary: "Replace a user's key; the old one stops working",
    },
    async (req, res) => {
      const [account_id, user_id] = [param(req, 'id'), param(req, 'uid')];
      sendOk(res, await admin.account(contextOf(req), account_id).regenerateKey(user_id));
    },
  );
}

/** The router for /api/v1/admin (auth has already run). */
export function adminRouter(admin: AdminService): Router {
  const router = Router();
  accountRoutes(router, admin);
  userRoutes(router, admin);
  return router;
}
