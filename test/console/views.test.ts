/**
 * The console's views of issue 28 in a real browser, signed in as alice (a USER of acme) on the
 * seeded demo server: a failed search keeps its form, a folder opened as a file offers its listing
 * and a way back, the sessions list shows each session's facts a page at a time, a session page
 * lists every archive, the tasks page shows task times, a session folder shows `messages/` instead of its log, and every date has one
 * format. The checks of every console test (no CSP violation, no key in a URL, nothing of bob's
 * private memory in any answer) run at the end as in browser.test.ts.
 */
import { signIn, type DemoServer } from '../../scripts/lib/console-demo.js';
import { DATE, finish, openPage, rendered, rows, texts, useDemo, visit, type Watched } from './page.js';

const demo = useDemo();

/** `YYYY-MM-DD HH:MM` of `date` in local time, as the console shows it. */
function localMinute(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const day = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  return `${day} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
let server: DemoServer;
beforeAll(() => {
  server = demo();
});

describe('console views as a USER (alice)', () => {
  let w: Watched;
  beforeAll(async () => {
    w = await openPage();
    await signIn(w.page, server.url, server.keys.alice);
  });
  afterAll(() => finish(w, server.keys.alice));

  test('a failed search keeps the form and what was typed, with the error beside it', async () => {
    const { page } = w;
    await visit(page, '#/search');
    await page.fill('#q', 'zanzibar release');
    await page.selectOption('#mode', 'fulltext');
    await page.fill('#target', 'not-a-viking-uri');
    await rendered(page, () => page.click('[data-testid="search-form"] button'));
    expect(await page.getByTestId('error').textContent()).toMatch(/^INVALID_URI: /);
    expect(await page.inputValue('#q')).toBe('zanzibar release');
    expect(await page.inputValue('#mode')).toBe('fulltext');
    expect(await page.inputValue('#target')).toBe('not-a-viking-uri');
    // Corrected in place, the same form searches again.
    await page.fill('#target', '');
    await rendered(page, () => page.click('[data-testid="search-form"] button'));
    expect(await page.getByTestId('error').count()).toBe(0);
    expect(await texts(page, '[data-testid="hit"] a')).toContain('viking://resources/guides/deploy.md');
  });

  test('a folder opened as a file shows the error with a link to the folder and a way back', async () => {
    const { page } = w;
    await visit(page, '#/browse?uri=viking://resources');
    const browseUrl = page.url();
    await rendered(page, () =>
      page.goto(`${server.url}/console/#/read?uri=${encodeURIComponent('viking://resources/guides')}`),
    );
    expect(await page.getByTestId('error').textContent()).toMatch(/^FAILED_PRECONDITION: /);
    expect(await page.getByTestId('crumbs').innerText()).toContain('resources');
    await rendered(page, () => page.getByRole('button', { name: 'Back' }).click());
    expect(page.url()).toBe(browseUrl);
    await rendered(page, () => page.goForward());
    await rendered(page, () => page.getByRole('link', { name: 'Browse this folder' }).click());
    expect(await texts(page, '[data-testid="file"]')).toContain('deploy.md');
  });

  test('lists sessions with participants, message and commit counts and last update', async () => {
    const { page } = w;
    await visit(page, '#/sessions');
    const list = await rows(page, 'sessions');
    expect(list.map((cells) => cells.slice(0, 4))).toEqual([
      ['retro', 'alice, bob', '1', '2'],
      ['standup', 'alice, bob, planner', '3', '0'],
    ]);
    expect(list.map((cells) => cells[4])).toEqual([expect.stringMatching(DATE), expect.stringMatching(DATE)]);
  });

  test('a long sessions list is paged: one meta request per session shown', async () => {
    const { page } = w;
    const create = (session_id: string) =>
      fetch(`${server.url}/api/v1/sessions`, {
        method: 'POST',
        headers: { 'X-API-Key': server.keys.alice, 'Content-Type': 'application/json' },
        body: JSON.stringify({ session_id }),
      });
    const ids = Array.from({ length: 30 }, (_, i) => `bulk-${String(i).padStart(2, '0')}`);
    for (const id of ids) expect((await create(id)).status).toBe(200);
    const metaRequests = () => w.urls.filter((url) => /\/api\/v1\/sessions\/[^/?]+$/.test(url)).length;
    const before = metaRequests();
    await visit(page, '#/sessions');
    expect(await page.locator('[data-testid="sessions"] tbody tr').count()).toBe(25);
    expect(metaRequests() - before).toBe(25);
    await rendered(page, () => page.getByRole('link', { name: /next page/ }).click());
    const second = (await rows(page, 'sessions')).map((cells) => cells[0]);
    expect(second).toHaveLength(32 - 25);
    expect(second).toContain('standup');
    expect(metaRequests() - before).toBe(32);
  });

  test('a session page lists every archive, newest first, with abstract and overview', async () => {
    const { page } = w;
    await visit(page, '#/session?id=retro');
    expect(await texts(page, '[data-testid="archive"] h3')).toEqual(['archive_002', 'archive_001']);
    const abstracts = await texts(page, '[data-testid="archive-abstract"]');
    expect(abstracts[0]).toContain('ten steps');
    expect(abstracts[1]).toContain('far too long');
    const overview = page.locator('[data-testid="archive"]').nth(1).getByTestId('archive-overview');
    expect(await overview.isVisible()).toBe(false);
    await page.locator('[data-testid="archive"]').nth(1).locator('summary').click();
    expect(await overview.isVisible()).toBe(true);
    expect(await overview.textContent()).toContain('far too long');
    expect(await texts(page, '[data-testid="message"] p')).toEqual(['Agreed, ten steps.']);
  });

  test('a session folder shows its messages/ folder, not the internal messages.jsonl', async () => {
    const { page } = w;
    await visit(page, '#/browse?uri=viking://session/standup');
    expect(await texts(page, '[data-testid="folder"]')).toContain('messages/');
    expect(await texts(page, '[data-testid="file"]')).not.toContain('messages.jsonl');
    await rendered(page, () => page.getByRole('link', { name: 'messages/', exact: true }).click());
    const messages = await texts(page, '[data-testid="file"]');
    expect(messages).toHaveLength(3);
    await rendered(page, () => page.getByRole('link', { name: messages[0] ?? '' }).click());
    const message = JSON.parse((await page.getByTestId('content').textContent()) ?? '') as {
      id: string;
      parts: { text?: string }[];
    };
    expect(messages[0]).toBe(message.id);
    expect([
      'Where are we with the zanzibar release?',
      'The zanzibar release is ready to ship.',
      'I will announce it.',
    ]).toContain(message.parts[0]?.text);

    // The tree too; an archive's messages.jsonl stays (it is the archive's content, and searchable).
    await visit(page, '#/tree?uri=viking://session');
    const uris = await page
      .locator('[data-testid="tree-entry"]')
      .evaluateAll((links) => links.map((a) => (a as unknown as { href: string }).href))
      .then((hrefs) => hrefs.map((href) => new URLSearchParams(href.slice(href.indexOf('?'))).get('uri')));
    for (const session of ['standup', 'retro']) {
      expect(uris).toContain(`viking://session/${session}/messages`);
      expect(uris).not.toContain(`viking://session/${session}/messages.jsonl`);
    }
    expect(uris).toContain('viking://session/retro/history/archive_001/messages.jsonl');
  });

  test('shows every date in one format, YYYY-MM-DD HH:MM', async () => {
    const { page } = w;
    await visit(page, '#/browse?uri=viking://resources/guides');
    const modified = (await rows(page, 'listing')).map((cells) => cells[2]);
    expect(modified.length).toBeGreaterThan(0);
    expect(modified.filter((cell) => !DATE.test(cell ?? ''))).toEqual([]);
    await visit(page, '#/session?id=standup');
    const times = (await texts(page, '[data-testid="actor"]')).map((text) => text.split(' · ').at(-1));
    expect(times.filter((time) => !DATE.test(time ?? ''))).toEqual([]);
    const facts = new Map((await rows(page, 'session-meta')).map(([name, value]) => [name, value]));
    expect([facts.get('created'), facts.get('updated')]).toEqual([
      expect.stringMatching(DATE),
      expect.stringMatching(DATE),
    ]);
  });

  test('lists her background tasks with their epoch-second times in the same format', async () => {
    const { page } = w;
    const headers = { 'X-API-Key': server.keys.alice };
    const form = new FormData();
    form.append('file', new Blob(['# Notes\n\nThe retro notes.'], { type: 'text/markdown' }), 'notes.md');
    const uploaded = await fetch(`${server.url}/api/v1/resources/temp_upload`, {
      method: 'POST',
      headers,
      body: form,
    }).then((res) => res.json() as Promise<{ result: { temp_file_id: string } }>);
    const added = await fetch(`${server.url}/api/v1/resources`, {
      method: 'POST',
      headers: { ...headers, 'Content-Type': 'application/json' },
      body: JSON.stringify({ temp_file_id: uploaded.result.temp_file_id }),
    }).then((res) => res.json() as Promise<{ result: { task_id: string } }>);
    const task = await fetch(`${server.url}/api/v1/tasks/${added.result.task_id}`, { headers }).then(
      (res) => res.json() as Promise<{ result: { created_at: number; resource_id: string } }>,
    );
    await visit(page, '#/tasks');
    const [row] = await rows(page, 'tasks');
    expect(row?.slice(0, 3)).toEqual(['add_resource', expect.any(String), task.result.resource_id]);
    // Epoch seconds, read as seconds: the same local minute the task was created in (this process
    // and the browser share the machine's time zone).
    expect(row?.[3]).toBe(localMinute(new Date(task.result.created_at * 1000)));
    expect(row?.[4]).toMatch(DATE);
  });
});
