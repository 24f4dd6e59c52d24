/* global document, window, location, history, performance, URLSearchParams */
/**
 * The console's shell: sign-in, the identity line, navigation and a hash router (`#/browse?uri=…`).
 * Which sections appear follows the role the API reports for the key; the API still decides what
 * each request may see.
 */
import { api, clearCredentials, credentials, saveCredentials } from './api.mjs';
import { accountsView, usersView } from './admin.mjs';
import { browseView, readView, treeView } from './browse.mjs';
import { errorNode, field, h, link, show } from './dom.mjs';
import { searchView } from './search.mjs';
import { sessionView, sessionsView } from './sessions.mjs';
import { tasksView } from './tasks.mjs';

/** Tenant sections run in an identity's view: ROOT must name the account and user it acts as. */
const ROUTES = {
  browse: { title: 'Browse', tenant: true, render: browseView },
  tree: { tenant: true, render: treeView },
  read: { tenant: true, render: readView },
  search: { title: 'Search', tenant: true, render: searchView },
  sessions: { title: 'Sessions', tenant: true, render: sessionsView },
  session: { tenant: true, render: sessionView },
  tasks: { title: 'Tasks', tenant: true, render: tasksView },
  users: { title: 'Users', admin: true, render: usersView },
  accounts: { title: 'Accounts', root: true, render: accountsView },
};

const view = () => document.getElementById('view');
let who = null;
let renders = 0;

function allowed(route) {
  if (route.root) return who.role === 'root';
  if (route.admin) return who.role === 'admin' || who.role === 'root';
  return !route.tenant || who.role !== 'root' || who.acting;
}

function go(route, params) {
  location.hash = link(route, params);
}

function parseHash() {
  const [path, query] = location.hash.replace(/^#\/?/, '').split('?');
  return { name: path || '', params: new URLSearchParams(query ?? '') };
}

function renderNav(current) {
  const items = Object.entries(ROUTES)
    .filter(([, route]) => route.title && allowed(route))
    .map(([name, route]) =>
      h('a', { href: link(name), class: name === current ? 'active' : null }, route.title),
    );
  show(document.getElementById('nav'), items);
  const agent = who.agent_id && who.agent_id !== 'default' ? ` · agent ${who.agent_id}` : '';
  const acting = who.role === 'root' && !who.acting ? '' : `${who.user} @ ${who.account_id}${agent} · `;
  show(document.getElementById('who'), `${acting}${who.role}`);
  document.getElementById('sign-out').hidden = false;
}

function defaultRoute() {
  return who.role === 'root' && !who.acting ? 'accounts' : 'browse';
}

/** Renders the route of the address; a later navigation wins over a slower earlier one. */
async function render(notice = null) {
  const { name, params } = parseHash();
  const route = ROUTES[name];
  if (route === undefined || !allowed(route)) {
    go(defaultRoute());
    return;
  }
  const token = ++renders;
  renderNav(name);
  const act = (action) => {
    action().then(
      (node) => render(node),
      (error) => render(errorNode(error)),
    );
  };
  let nodes;
  try {
    nodes = await route.render({ params, who, go, act });
  } catch (error) {
    nodes = errorNode(error);
  }
  if (token !== renders) return;
  show(view(), notice, nodes);
  // Changes with every completed render (also across page loads): tests and scripts wait on it.
  view().dataset.rendered = `${performance.timeOrigin}/${token}`;
}

function signInForm(message) {
  const key = h('input', { id: 'api-key', type: 'password', autocomplete: 'off', required: true });
  const account = h('input', { id: 'as-account', placeholder: 'the key’s own' });
  const user = h('input', { id: 'as-user', placeholder: 'the key’s own' });
  const agent = h('input', { id: 'as-agent', placeholder: 'default' });
  // Inputs have no `name` and the page's CSP forbids form submission: the key cannot end up in a URL.
  const onsubmit = (event) => {
    event.preventDefault();
    const creds = { key: key.value.trim() };
    for (const [name, input] of [
      ['account', account],
      ['user', user],
      ['agent', agent],
    ]) {
      if (input.value.trim() !== '') creds[name] = input.value.trim();
    }
    saveCredentials(creds);
    void start();
  };
  return h(
    'form',
    { class: 'stacked', onsubmit, 'data-testid': 'sign-in' },
    h('h1', {}, 'Sign in'),
    message,
    field('API key', key),
    h(
      'p',
      { class: 'muted' },
      'Optional: the identity to act as (ROOT must name both; an ADMIN may name a user of its account).',
    ),
    field('Account', account),
    field('User', user),
    field('Agent', agent),
    h('button', { type: 'submit' }, 'Sign in'),
  );
}

function signIn(message = null) {
  who = null;
  show(document.getElementById('nav'));
  show(document.getElementById('who'));
  document.getElementById('sign-out').hidden = true;
  show(view(), signInForm(message));
}

/** Asks the API who the stored key is; back to sign-in when there is none or it is refused. */
async function start() {
  const creds = credentials();
  if (creds === null) {
    signIn();
    return;
  }
  try {
    const status = await api('GET', '/api/v1/system/status');
    // Only api_key mode's ROOT needs headers to act in a tenant's view (dev mode defaults them).
    const acting = Boolean(creds.account && creds.user) || status.auth_mode !== 'api_key';
    who = { ...status, acting };
  } catch (error) {
    clearCredentials();
    signIn(errorNode(error));
    return;
  }
  await render();
}

document.getElementById('sign-out').addEventListener('click', () => {
  clearCredentials();
  history.replaceState(null, '', location.pathname);
  signIn();
});
window.addEventListener('hashchange', () => {
  if (who !== null) void render();
});
void start();
