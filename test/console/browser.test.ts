/**
 * The web console in a real browser (Debian's headless Chromium via playwright-core) against a real
 * server seeded through the API: a USER and an ADMIN sign in, browse, read, search and open a
 * session; ROOT lists and creates accounts. Every API answer the page receives and every page it
 * shows is checked for bob's private memory, which must reach nobody else; the key never appears in
 * a URL; the CSP is never violated; content that looks like HTML stays text.
 */
import type { Page } from 'playwright-core';
import {
  BOB_SECRET,
  DEMO_ROOT_KEY,
  HOSTILE_CONTENT,
  HOSTILE_NAME,
  signIn,
  type DemoServer,
} from '../../scripts/lib/console-demo.js';
import {
  DATE,
  finish,
  mainText,
  newPage,
  openPage,
  rendered,
  rows,
  storedSignIn,
  texts,
  useDemo,
  visit,
  type PageGlobals,
  type Watched,
} from './page.js';

const demo = useDemo();
let server: DemoServer;
beforeAll(() => {
  server = demo();
});

describe('console as a USER (alice)', () => {
  let w: Watched;
  beforeAll(async () => {
    w = await openPage();
    await signIn(w.page, server.url, server.keys.alice);
  });
  afterAll(() => finish(w, server.keys.alice));

  test('signs in: identity from the API, key only in sessionStorage, user sections only', async () => {
    const { page } = w;
    expect(await page.getByTestId('who').textContent()).toBe('alice @ acme · user');
    expect(await texts(page, '#nav a')).toEqual(['Browse', 'Search', 'Sessions', 'Tasks']);
    expect(String(await storedSignIn(page))).toContain(server.keys.alice);
    expect(page.url()).not.toContain(server.keys.alice);
  });

  test('browses the tree down to her own memory; bob’s scope is not listed', async () => {
    const { page } = w;
    await visit(page, '#/browse');
    expect(await texts(page, '[data-testid="folder"]')).toEqual([
      'agent/',
      'resources/',
      'session/',
      'user/',
    ]);
    await rendered(page, () => page.getByRole('link', { name: 'user/' }).click());
    expect(await texts(page, '[data-testid="folder"]')).toEqual(['alice/']);
    for (const folder of ['alice/', 'memories/', 'preferences/']) {
      await rendered(page, () => page.getByRole('link', { name: folder, exact: true }).click());
    }
    await rendered(page, () => page.getByRole('link', { name: 'editor.md' }).click());
    expect(await page.getByTestId('content').textContent()).toBe('Alice likes the zanzibar colour theme.');
    expect(await page.getByTestId('crumbs').innerText()).toContain('preferences');
  });

  test('the tree view of viking://user holds her scope only', async () => {
    const { page } = w;
    await visit(page, '#/browse?uri=viking://user');
    await rendered(page, () => page.getByRole('link', { name: /^Tree view/ }).click());
    const entries = await page
      .locator('[data-testid="tree-entry"]')
      .evaluateAll((links) => links.map((a) => (a as unknown as { href: string }).href));
    expect(entries.length).toBeGreaterThan(3);
    const uris = entries.map((href) => new URLSearchParams(href.slice(href.indexOf('?'))).get('uri'));
    expect(uris.filter((uri) => !uri?.startsWith('viking://user/alice'))).toEqual([]);
    expect(uris).toContain('viking://user/alice/memories/preferences/editor.md');
  });

  test('shows file names and contents that look like HTML as text', async () => {
    const { page } = w;
    await visit(page, '#/browse?uri=viking://resources/guides');
    await rendered(page, () => page.getByRole('link', { name: HOSTILE_NAME }).click());
    expect(await page.getByTestId('content').textContent()).toBe(HOSTILE_CONTENT);
    expect(await page.locator('main img, main script').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).__pwned)).toBeUndefined();
  });

  test('searches with mode, context type and target; hits link to their files', async () => {
    const { page } = w;
    await visit(page, '#/search');
    await page.fill('#q', 'zanzibar');
    await page.selectOption('#mode', 'fulltext');
    await rendered(page, () => page.click('[data-testid="search-form"] button'));
    const uris = await texts(page, '[data-testid="hit"] a');
    expect(uris).toEqual(
      expect.arrayContaining([
        'viking://user/alice/memories/preferences/editor.md',
        'viking://resources/guides/deploy.md',
      ]),
    );
    expect(uris.some((uri) => uri.startsWith('viking://session/standup/messages/'))).toBe(true);
    expect(uris.filter((uri) => uri.includes('/user/bob'))).toEqual([]);

    await page.selectOption('#type', 'memory');
    await rendered(page, () => page.click('[data-testid="search-form"] button'));
    expect(await texts(page, '[data-testid="hit"] a')).toEqual([
      'viking://user/alice/memories/preferences/editor.md',
    ]);

    await page.selectOption('#type', '');
    await page.fill('#target', 'viking://resources');
    await rendered(page, () => page.click('[data-testid="search-form"] button'));
    const resources = await texts(page, '[data-testid="hit"] a');
    expect(resources).toContain('viking://resources/guides/deploy.md');
    expect(resources.every((uri) => uri.startsWith('viking://resources/'))).toBe(true);

    await rendered(page, () =>
      page.getByRole('link', { name: 'viking://resources/guides/deploy.md' }).click(),
    );
    expect(await page.getByTestId('content').textContent()).toContain('# Deploying zanzibar');
  });

  test('opens the shared session with each message’s role and role_id', async () => {
    const { page } = w;
    await visit(page, '#/browse');
    await rendered(page, () => page.getByRole('link', { name: 'Sessions' }).click());
    await rendered(page, () => page.getByRole('link', { name: 'standup' }).click());
    const actors = (await texts(page, '[data-testid="actor"]')).map((text) =>
      text.split(' · ').slice(0, 2).join(' · '),
    );
    expect(actors).toEqual(['user · role_id alice', 'assistant · role_id planner', 'user · role_id bob']);
    expect(await texts(page, '[data-testid="message"] p')).toEqual([
      'Where are we with the zanzibar release?',
      'The zanzibar release is ready to ship.',
      'I will announce it.',
    ]);
  });

  test('bob’s memory stays out of reach, and admin pages are not offered', async () => {
    const { page } = w;
    await visit(page, '#/read?uri=viking://user/bob/memories/preferences/private.md');
    expect(await page.getByTestId('error').textContent()).toMatch(/^PERMISSION_DENIED/);
    await visit(page, '#/users');
    expect(page.url()).toMatch(/#\/browse$/);
    expect(await mainText(page)).not.toContain(BOB_SECRET);
  });

  test('signing out forgets the key', async () => {
    const { page } = w;
    await page.click('#sign-out');
    await page.getByTestId('sign-in').waitFor();
    expect(await storedSignIn(page)).toBeNull();
  });
});

describe('console as an ADMIN (ada)', () => {
  let w: Watched;
  beforeAll(async () => {
    w = await openPage();
    await signIn(w.page, server.url, server.keys.ada);
  });
  afterAll(() => finish(w, server.keys.ada));

  const keyOf = async (page: Page): Promise<string> =>
    (await page.getByTestId('new-key').textContent()) ?? '';
  const userRows = async (page: Page): Promise<string[]> =>
    (await texts(page, '[data-testid="users"] tbody tr td:first-child')).sort();

  test('manages the account’s users and keys', async () => {
    const { page } = w;
    expect(await page.getByTestId('who').textContent()).toBe('ada @ acme · admin');
    expect(await texts(page, '#nav a')).toEqual(['Browse', 'Search', 'Sessions', 'Tasks', 'Users']);
    await rendered(page, () => page.getByRole('link', { name: 'Users' }).click());
    expect(await userRows(page)).toEqual(['ada', 'alice', 'bob']);

    await page.fill('#new-user', 'carol');
    await rendered(page, () => page.click('[data-testid="add-user"] button'));
    const firstKey = await keyOf(page);
    expect(firstKey).toMatch(/^[0-9a-f]{64}$/);
    expect(await userRows(page)).toEqual(['ada', 'alice', 'bob', 'carol']);

    const carol = page.locator('[data-testid="users"] tbody tr', { hasText: 'carol' });
    await rendered(page, () => carol.getByRole('button', { name: 'New key' }).click());
    const secondKey = await keyOf(page);
    expect(secondKey).toMatch(/^[0-9a-f]{64}$/);
    const status = (key: string) =>
      fetch(`${server.url}/api/v1/system/status`, { headers: { 'X-API-Key': key } }).then(
        (res) => res.status,
      );
    expect([await status(firstKey), await status(secondKey)]).toEqual([401, 200]);

    await carol.getByRole('button', { name: 'Remove' }).click();
    await rendered(page, () => carol.getByRole('button', { name: 'Confirm: remove' }).click());
    expect(await userRows(page)).toEqual(['ada', 'alice', 'bob']);
    expect(await status(secondKey)).toBe(401);
  });

  test('sees its own view: no other user’s memory in the tree or in search', async () => {
    const { page } = w;
    await visit(page, '#/browse?uri=viking://user');
    expect(await texts(page, '[data-testid="folder"]')).toEqual(['ada/']);
    await visit(page, '#/search?q=zanzibar&mode=fulltext');
    const uris = await texts(page, '[data-testid="hit"] a');
    expect(uris).toContain('viking://resources/guides/deploy.md');
    expect(uris.filter((uri) => uri.startsWith('viking://user/'))).toEqual([]);
    expect(await mainText(page)).not.toContain(BOB_SECRET);
  });
});

describe('console as ROOT', () => {
  let w: Watched;
  beforeAll(async () => {
    w = await openPage();
    await signIn(w.page, server.url, DEMO_ROOT_KEY);
  });
  afterAll(() => finish(w, DEMO_ROOT_KEY));

  const accountRows = async (page: Page): Promise<string[]> =>
    (await page.locator('[data-testid="accounts"] tbody tr').allInnerTexts()).map((row) =>
      row
        .split('\t')
        .filter((_, i) => i !== 1)
        .join(' ')
        .trim(),
    );

  test('lists accounts with their policies and creates one', async () => {
    const { page } = w;
    await page.locator('[data-testid="accounts"]').waitFor();
    expect(await texts(page, '#nav a')).toEqual(['Users', 'Accounts']);
    expect(await accountRows(page)).toEqual(['acme 3 no no', 'default 0 no no', 'globex 1 yes yes']);
    const created = (await rows(page, 'accounts')).map((cells) => cells[1]);
    expect(created.filter((cell) => !DATE.test(cell ?? ''))).toEqual([]);

    await page.fill('#new-account', 'initech');
    await page.fill('#new-admin', 'ian');
    await page.check('#user-by-agent');
    await rendered(page, () => page.click('[data-testid="create-account"] button'));
    expect(await page.getByTestId('new-key').textContent()).toMatch(/^[0-9a-f]{64}$/);
    expect(await accountRows(page)).toContain('initech 1 yes no');
  });

  test('acts as a user of an account, and manages any account’s users', async () => {
    const { page } = w;
    await signIn(page, server.url, DEMO_ROOT_KEY, { account: 'acme', user: 'alice' });
    expect(await page.getByTestId('who').textContent()).toBe('alice @ acme · root');
    expect(await texts(page, '#nav a')).toEqual([
      'Browse',
      'Search',
      'Sessions',
      'Tasks',
      'Users',
      'Accounts',
    ]);
    // ROOT reads everything in the account it acts in (SPEC 4).
    await visit(page, '#/browse?uri=viking://user');
    expect(await texts(page, '[data-testid="folder"]')).toEqual(expect.arrayContaining(['alice/', 'bob/']));
    await visit(page, '#/accounts');
    await rendered(page, () => page.getByRole('link', { name: 'globex' }).click());
    expect(await texts(page, '[data-testid="users"] tbody tr td:first-child')).toEqual(['gail']);
  });
});

describe('the browser enforces the console’s CSP', () => {
  /** The page's DOM, as much as this test touches. */
  interface Dom {
    document: {
      createElement(tag: 'script'): { textContent: string };
      head: { append(node: unknown): void };
    };
    __inline?: unknown;
  }

  test('a script added to a console page at run time does not run', async () => {
    const page = await newPage();
    const refused: string[] = [];
    page.on('console', (message) => refused.push(message.text()));
    await page.goto(`${server.url}/console/`);
    const ran = await page.evaluate(() => {
      const g = globalThis as unknown as Dom;
      const script = g.document.createElement('script');
      script.textContent = 'window.__inline = 1';
      g.document.head.append(script);
      return g.__inline;
    });
    expect(ran).toBeUndefined();
    expect(refused.join('\n')).toMatch(/Content Security Policy/);
    await page.close();
  });
});
