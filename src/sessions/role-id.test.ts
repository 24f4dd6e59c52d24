import { AppError } from '../errors.js';
import { DEFAULT_POLICY, type RequestContext, type Role } from '../policy/index.js';
import { resolveRoleId, type AuthMode } from './role-id.js';
import { addMessageSchema } from './schema.js';

const REGISTERED = new Set(['acme/alice', 'acme/bob']);
const isRegisteredUser = (account: string, user: string): Promise<boolean> =>
  Promise.resolve(REGISTERED.has(`${account}/${user}`));

function ctxOf(role: Role): RequestContext {
  return {
    role,
    policy: DEFAULT_POLICY,
    effective: { account_id: 'acme', user_id: 'alice', agent_id: 'bot' },
  };
}

function run(role: Role, authMode: AuthMode, raw: Record<string, unknown>): Promise<string | null> {
  return resolveRoleId({
    ctx: ctxOf(role),
    authMode,
    body: addMessageSchema.parse({ content: 'hi', ...raw }),
    bodyHasRoleId: Object.hasOwn(raw, 'role_id'),
    isRegisteredUser,
  });
}

/** Marks a case that must fail with INVALID_ARGUMENT. */
const BAD = Symbol('INVALID_ARGUMENT');
type Case = [Role, AuthMode, Record<string, unknown>, string | null | typeof BAD];

const cases: Case[] = [
  // USER key in api_key mode: derived, never passed.
  ['user', 'api_key', { role: 'user' }, 'alice'],
  ['user', 'api_key', { role: 'assistant' }, 'bot'],
  ['user', 'api_key', { role: 'system' }, null],
  ['user', 'api_key', { role: 'user', role_id: 'bob' }, BAD],
  ['user', 'api_key', { role: 'user', role_id: 'alice' }, BAD],
  ['user', 'api_key', { role: 'user', role_id: null }, BAD],
  ['user', 'api_key', { role: 'assistant', role_id: 'other' }, BAD],
  ['user', 'api_key', { role: 'system', role_id: null }, BAD],
  // ADMIN: may pass; user role_ids must be registered.
  ['admin', 'api_key', { role: 'user' }, 'alice'],
  ['admin', 'api_key', { role: 'user', role_id: null }, 'alice'],
  ['admin', 'api_key', { role: 'user', role_id: 'bob' }, 'bob'],
  ['admin', 'api_key', { role: 'user', role_id: 'ghost' }, BAD],
  ['admin', 'api_key', { role: 'assistant', role_id: 'helper' }, 'helper'],
  ['admin', 'api_key', { role: 'assistant' }, 'bot'],
  ['admin', 'api_key', { role: 'user', role_id: 'a/b' }, BAD],
  ['admin', 'api_key', { role: 'assistant', role_id: '' }, BAD],
  ['admin', 'api_key', { role: 'system', role_id: 'x y' }, BAD],
  ['admin', 'api_key', { role: 'system', role_id: 'sys' }, null],
  // ROOT: may pass; no registry check.
  ['root', 'api_key', { role: 'user', role_id: 'ghost' }, 'ghost'],
  ['root', 'api_key', { role: 'user' }, 'alice'],
  ['root', 'api_key', { role: 'assistant', role_id: 'helper' }, 'helper'],
  ['root', 'api_key', { role: 'user', role_id: '../x' }, BAD],
  // trusted mode: role is USER, but may pass; no registry there.
  ['user', 'trusted', { role: 'user', role_id: 'ghost' }, 'ghost'],
  ['user', 'trusted', { role: 'user', role_id: null }, 'alice'],
  ['user', 'trusted', { role: 'assistant' }, 'bot'],
  ['user', 'trusted', { role: 'assistant', role_id: 'helper' }, 'helper'],
  ['user', 'trusted', { role: 'user', role_id: 'bad id' }, BAD],
  // dev mode: every caller is ROOT.
  ['root', 'dev', { role: 'user', role_id: 'ghost' }, 'ghost'],
  ['root', 'dev', { role: 'user' }, 'alice'],
  ['root', 'dev', { role: 'assistant', role_id: 'x'.repeat(129) }, BAD],
];

test.each(cases)('%s caller in %s mode, body %j → %p', async (role, mode, raw, expected) => {
  const result = run(role, mode, raw);
  if (expected === BAD) {
    await expect(result).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(result).rejects.toBeInstanceOf(AppError);
  } else {
    await expect(result).resolves.toBe(expected);
  }
});

test('the registry is asked with the effective account and the final role_id', async () => {
  const asked: string[] = [];
  await resolveRoleId({
    ctx: ctxOf('admin'),
    authMode: 'api_key',
    body: addMessageSchema.parse({ role: 'user', role_id: 'bob', content: 'x' }),
    bodyHasRoleId: true,
    isRegisteredUser: (a, u) => {
      asked.push(`${a}/${u}`);
      return Promise.resolve(true);
    },
  });
  expect(asked).toEqual(['acme/bob']);
});
