/**
 * What the console's browser tests share: the demo server and Chromium of a test file (started by
 * {@link useDemo}), a watched page (console errors, dialogs, URLs, API answers, checked by
 * {@link finish}) and the ways to wait for, visit and read the console's views.
 */
import type { Page } from 'playwright-core';
import { launchChromium, type Chromium } from '../../scripts/lib/chromium.js';
import { BOB_SECRET, startDemoServer, type DemoServer } from '../../scripts/lib/console-demo.js';
import { logger } from '../../src/log.js';

let server: DemoServer;
let browser: Chromium;

/** Starts a seeded demo server and Chromium before the file's tests and stops them after. */
export function useDemo(): () => DemoServer {
  beforeAll(async () => {
    server = await startDemoServer(logger);
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
  return () => server;
}

/** A fresh tab of the file's Chromium. */
export function newPage(): Promise<Page> {
  return browser.context.newPage();
}

/** What a page did that a test checks at the end: console errors, dialogs, URLs, API answers. */
export interface Watched {
  readonly page: Page;
  readonly problems: string[];
  readonly urls: string[];
  readonly apiBodies: Promise<string>[];
}

export async function openPage(): Promise<Watched> {
  const page = await newPage();
  const watched: Watched = { page, problems: [], urls: [], apiBodies: [] };
  page.on('console', (message) => {
    // Refusals the tests provoke (4xx) are shown on the page; 401 and 5xx are caught below.
    if (message.type() === 'error' && !/status of 4\d\d/.test(message.text())) {
      watched.problems.push(`console: ${message.text()}`);
    }
  });
  page.on('pageerror', (error) => watched.problems.push(`page error: ${error.message}`));
  page.on('dialog', (dialog) => {
    watched.problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('request', (req) => watched.urls.push(req.url()));
  page.on('response', (res) => {
    // An answer the console did not expect names its request (the console message alone does not).
    if (res.status() === 401 || res.status() >= 500) {
      watched.problems.push(`response ${res.status()}: ${res.request().method()} ${res.url()}`);
    }
    if (res.url().includes('/api/v1/')) watched.apiBodies.push(res.text().catch(() => ''));
  });
  return watched;
}

/** Runs `action` and waits until the console has rendered a new view (its `data-rendered` stamp). */
export async function rendered(page: Page, action: () => Promise<unknown>): Promise<void> {
  const before = (await page.locator('#view').getAttribute('data-rendered')) ?? '';
  await action();
  await page.locator(`#view[data-rendered]:not([data-rendered=${JSON.stringify(before)}])`).waitFor();
}

/** The page's globals the tests read (functions passed to `page.evaluate` run in the page). */
export interface PageGlobals {
  readonly sessionStorage: { getItem(key: string): string | null };
  readonly __pwned?: unknown;
}

export function storedSignIn(page: Page): Promise<string | null> {
  return page.evaluate(() =>
    (globalThis as unknown as PageGlobals).sessionStorage.getItem('vikingscope.console'),
  );
}

/** Opens a console address (reloading when the page is already there, which renders it again). */
export async function visit(page: Page, hash: string): Promise<void> {
  const address = `${server.url}/console/${hash}`;
  await rendered(page, () => (page.url() === address ? page.reload() : page.goto(address)));
}

export async function texts(page: Page, selector: string): Promise<string[]> {
  return (await page.locator(selector).allTextContents()).map((text) => text.trim());
}

export async function mainText(page: Page): Promise<string> {
  return page.locator('main').innerText();
}

/** The console's one date format: local `YYYY-MM-DD HH:MM`. */
export const DATE = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/;

/** The cells of each body row of the table `testid`, as text. */
export async function rows(page: Page, testid: string): Promise<string[][]> {
  return page
    .locator(`[data-testid="${testid}"] tbody tr`)
    .evaluateAll((trs) =>
      trs.map((tr) =>
        Array.from((tr as unknown as { children: ArrayLike<{ textContent: string | null }> }).children).map(
          (td) => (td.textContent ?? '').trim(),
        ),
      ),
    );
}

/** The checks every test ends with. */
export async function finish(watched: Watched, key: string): Promise<void> {
  expect(watched.problems).toEqual([]);
  expect(watched.urls.filter((url) => url.includes(key))).toEqual([]);
  // Everything the page loads comes from the server itself (it works offline, without a CDN).
  expect(watched.urls.filter((url) => !url.startsWith(`${server.url}/`))).toEqual([]);
  const bodies = await Promise.all(watched.apiBodies);
  expect(bodies.length).toBeGreaterThan(0);
  expect(bodies.filter((body) => body.includes(BOB_SECRET))).toEqual([]);
  await watched.page.close();
}
