/**
 * `/docs` in a real browser (headless Debian chromium): Swagger UI renders every operation of
 * /openapi.json with no request leaving our server (any other request is aborted, as offline) and
 * no errors in the console or in Swagger UI's own validation panel.
 */
import { chromium, type Browser } from 'playwright-core';
import request from 'supertest';
import { fullApp, type FullApp } from '../helpers/full-app.js';
import { listen, type Listening } from '../helpers/mcp.js';

let env: FullApp;
let server: Listening;
let browser: Browser;

beforeAll(async () => {
  env = await fullApp();
  server = await listen(env.app);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
});
afterAll(async () => {
  await browser.close();
  await server.close();
  await env.close();
});

test('renders every operation offline, without errors', async () => {
  const doc = (await request(env.app).get('/openapi.json').expect(200)).body as {
    paths: Record<string, Record<string, unknown>>;
  };
  const operations = Object.values(doc.paths).reduce((n, methods) => n + Object.keys(methods).length, 0);
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  await page.route('**/*', (route) =>
    route.request().url().startsWith(server.url) ? route.continue() : route.abort(),
  );
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  await page.goto(`${server.url}/docs`);
  await page.waitForSelector('.opblock');
  expect(await page.locator('.opblock').count()).toBe(operations);
  expect(await page.locator('.title').first().textContent()).toContain('VikingScope');
  expect(await page.locator('.errors-wrapper').count()).toBe(0);
  expect(problems).toEqual([]);
});
