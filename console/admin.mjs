/**
 * Administration through /api/v1/admin: an ADMIN manages its account's users and keys; ROOT lists
 * and creates accounts (with their namespace policy) and manages any account's users. New keys are
 * shown once, on the page, and never stored by the console.
 */
import { adminPath, api } from './api.mjs';
import { field, formatTime, h, link, secretNotice, table } from './dom.mjs';

const yesNo = (flag) => (flag ? 'yes' : 'no');

const ACCOUNT_HEADERS = ['account', 'created', 'users', 'user scope by agent', 'agent scope by user'];

/** An account's row: its name (text or a link), creation time, user count and namespace policy. */
function accountCells(account, name = account.account_id) {
  return [
    name,
    formatTime(account.created_at),
    String(account.user_count ?? ''),
    yesNo(account.isolate_user_scope_by_agent),
    yesNo(account.isolate_agent_scope_by_user),
  ];
}

/** A button that asks for a second click before it acts (no modal dialogs). */
function confirmButton(label, action) {
  let armed = false;
  const button = h(
    'button',
    {
      type: 'button',
      onclick: () => {
        if (!armed) {
          armed = true;
          button.textContent = `Confirm: ${label.toLowerCase()}`;
          return;
        }
        action();
      },
    },
    label,
  );
  return button;
}

function userActions(account, user, ctx) {
  const path = (...rest) => adminPath('accounts', account, 'users', user.user_id, ...rest);
  const actions = [
    h(
      'button',
      {
        type: 'button',
        onclick: () =>
          ctx.act(async () => {
            const { user_key } = await api('POST', path('key'));
            return secretNotice(`New key of ${user.user_id} (the old one no longer works)`, user_key);
          }),
      },
      'New key',
    ),
    confirmButton('Remove', () => ctx.act(() => api('DELETE', path()).then(() => null))),
  ];
  if (ctx.who.role === 'root') {
    const role = user.role === 'admin' ? 'user' : 'admin';
    const change = () => ctx.act(() => api('PUT', path('role'), { body: { role } }).then(() => null));
    actions.push(h('button', { type: 'button', onclick: change }, `Make ${role}`));
  }
  return actions;
}

function addUserForm(account, ctx) {
  const user = h('input', { id: 'new-user', required: true, pattern: '[A-Za-z0-9_\\-]{1,128}' });
  const role = h(
    'select',
    { id: 'new-role' },
    h('option', { value: 'user' }, 'user'),
    h('option', { value: 'admin' }, 'admin'),
  );
  const onsubmit = (event) => {
    event.preventDefault();
    ctx.act(async () => {
      const body = { user_id: user.value, role: role.value };
      const { user_key } = await api('POST', adminPath('accounts', account, 'users'), { body });
      return secretNotice(`Key of ${body.user_id}`, user_key);
    });
  };
  return h(
    'form',
    { onsubmit, 'data-testid': 'add-user' },
    field('User id', user),
    field('Role', role),
    h('button', { type: 'submit' }, 'Add user'),
  );
}

export async function usersView(ctx) {
  const account = ctx.params.get('account') || ctx.who.account_id;
  const [info, users] = await Promise.all([
    api('GET', adminPath('accounts', account)),
    api('GET', adminPath('accounts', account, 'users')),
  ]);
  const rows = users.map((user) => [user.user_id, user.role, userActions(account, user, ctx)]);
  return [
    h('h1', {}, `Users of ${account}`),
    table(ACCOUNT_HEADERS, [accountCells(info)], 'account'),
    h('h2', {}, 'Users'),
    table(['user', 'role', ''], rows, 'users'),
    h('h2', {}, 'Add a user'),
    addUserForm(account, ctx),
  ];
}

function createAccountForm(ctx) {
  const id = h('input', { id: 'new-account', required: true });
  const admin = h('input', { id: 'new-admin', required: true });
  const byAgent = h('input', { id: 'user-by-agent', type: 'checkbox' });
  const byUser = h('input', { id: 'agent-by-user', type: 'checkbox' });
  const onsubmit = (event) => {
    event.preventDefault();
    ctx.act(async () => {
      const body = {
        account_id: id.value,
        admin_user_id: admin.value,
        isolate_user_scope_by_agent: byAgent.checked,
        isolate_agent_scope_by_user: byUser.checked,
      };
      const created = await api('POST', adminPath('accounts'), { body });
      return secretNotice(
        `Key of ${created.admin_user_id}, admin of ${created.account_id}`,
        created.user_key,
      );
    });
  };
  return h(
    'form',
    { onsubmit, 'data-testid': 'create-account' },
    field('Account id', id),
    field('Admin user id', admin),
    h('label', { class: 'check' }, byAgent, 'user scope by agent'),
    h('label', { class: 'check' }, byUser, 'agent scope by user'),
    h('button', { type: 'submit' }, 'Create account'),
  );
}

export async function accountsView(ctx) {
  const accounts = await api('GET', adminPath('accounts'));
  const rows = accounts.map((a) =>
    accountCells(a, h('a', { href: link('users', { account: a.account_id }) }, a.account_id)),
  );
  return [
    h('h1', {}, 'Accounts'),
    table(ACCOUNT_HEADERS, rows, 'accounts'),
    h('h2', {}, 'Create an account'),
    createAccountForm(ctx),
  ];
}
