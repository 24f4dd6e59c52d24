/** The admin rules without HTTP: AdminService against a real AccountStore in a temporary DATA_DIR. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NO_HOOKS } from '../hooks.js';
import { DEFAULT_POLICY, type RequestContext, type Role } from '../policy/types.js';
import { AdminService } from './admin.js';
import { AccountStore } from './store.js';

const ctxOf = (role: Role, account_id = 'acme'): RequestContext => ({
  role,
  policy: DEFAULT_POLICY,
  effective: { account_id, user_id: 'someone', agent_id: 'default' },
});

let dataDir: string;
let accounts: AccountStore;
let admin: AdminService;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'vs-admin-'));
  accounts = await AccountStore.open({ dataDir, registry: true, hooks: NO_HOOKS });
  admin = new AdminService(accounts);
  await admin.root(ctxOf('root')).createAccount({ account_id: 'acme', admin_user_id: 'alice' });
  await admin.account(ctxOf('root'), 'acme').addUser({ user_id: 'bob', role: 'user' });
});
afterEach(() => rm(dataDir, { recursive: true, force: true }));

const usersFile = () => readFile(join(dataDir, 'fs/acme/_system/users.json'), 'utf8');

describe('server-wide operations are for ROOT only', () => {
  test.each<[string, Role, string]>([
    ['a USER', 'user', 'acme'],
    ['an ADMIN of the account', 'admin', 'acme'],
    ['an ADMIN of another account', 'admin', 'other'],
  ])('%s is refused before anything is read or written', (_who, role, account) => {
    expect(() => admin.root(ctxOf(role, account))).toThrow(
      expect.objectContaining({ code: 'PERMISSION_DENIED', message: 'only ROOT may do this' }),
    );
    expect(accounts.listAccounts().map((a) => a.account_id)).toEqual(['acme', 'default']);
  });

  test('ROOT creates accounts, changes roles and deletes accounts', async () => {
    const root = admin.root(ctxOf('root', 'default'));
    const made = await root.createAccount({
      account_id: 'newco',
      admin_user_id: 'ann',
      isolate_agent_scope_by_user: true,
    });
    expect(made).toEqual({
      account_id: 'newco',
      admin_user_id: 'ann',
      user_key: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown,
      isolate_user_scope_by_agent: false,
      isolate_agent_scope_by_user: true,
    });
    expect(await root.setRole('acme', 'bob', { role: 'admin' })).toEqual({
      account_id: 'acme',
      user_id: 'bob',
      role: 'admin',
    });
    expect(accounts.userRole('acme', 'bob')).toBe('admin');
    expect(await root.deleteAccount('newco')).toEqual({ deleted: true });
    await expect(root.deleteAccount('a/b')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe("an account's operations are for ROOT and that account's ADMINs", () => {
  test.each<[string, Role, string]>([
    ['a USER of the account', 'user', 'acme'],
    ['an ADMIN of another account', 'admin', 'other'],
    ['a USER of another account', 'user', 'other'],
  ])('%s is refused, and nothing is written', async (_who, role, account) => {
    const before = await usersFile();
    expect(() => admin.account(ctxOf(role, account), 'acme')).toThrow(
      expect.objectContaining({
        code: 'PERMISSION_DENIED',
        message: "not an administrator of account 'acme'",
      }),
    );
    expect(await usersFile()).toBe(before);
  });

  test('an ADMIN elsewhere cannot tell a missing account from a forbidden one', () => {
    expect(() => admin.account(ctxOf('admin', 'other'), 'ghost')).toThrow(
      expect.objectContaining({ code: 'PERMISSION_DENIED' }),
    );
    expect(() => admin.account(ctxOf('root'), 'ghost').info()).toThrow(
      expect.objectContaining({ code: 'NOT_FOUND' }),
    );
  });

  test.each<Role>(['admin', 'root'])('%s manages the users of the account', async (role) => {
    const acme = admin.account(ctxOf(role, 'acme'), 'acme');
    expect(acme.info()).toMatchObject({ account_id: 'acme', user_count: 2 });
    const carol = await acme.addUser({ user_id: 'carol', role: 'user' });
    expect(accounts.authenticate(carol.user_key)).toEqual({
      account_id: 'acme',
      user_id: 'carol',
      role: 'user',
    });
    const { user_key } = await acme.regenerateKey('carol');
    expect(accounts.authenticate(carol.user_key)).toBeUndefined();
    expect(accounts.authenticate(user_key)).toMatchObject({ user_id: 'carol' });
    expect(await acme.removeUser('carol')).toEqual({ deleted: true });
    expect(acme.users()).toEqual([
      { user_id: 'alice', role: 'admin' },
      { user_id: 'bob', role: 'user' },
    ]);
  });

  test('ids are validated before the role is looked at', () => {
    expect(() => admin.account(ctxOf('user', 'other'), 'a b')).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});
