/**
 * `npm run screenshots`: the web console's main pages as small PNGs in docs/console/, taken from a
 * seeded demo server (its own temporary DATA_DIR) in headless Chromium. Nothing reaches the network.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Page } from 'playwright-core';
import { launchChromium } from './lib/chromium.js';
import { DEMO_ROOT_KEY, signIn, startDemoServer } from './lib/console-demo.js';

const OUT = join('docs', 'console');

async function shoot(page: Page, address: string, name: string, ready: string): Promise<void> {
  await page.goto(address);
  await page.locator(ready).first().waitFor();
  await page.screenshot({ path: join(OUT, `${name}.png`) });
  process.stdout.write(`${join(OUT, `${name}.png`)}\n`);
}

/** One background task of `key`'s (an add_resource of an uploaded note), so the tasks page has a row. */
async function addTask(url: string, key: string): Promise<void> {
  const form = new FormData();
  form.append('file', new Blob(['# Retro\n\nWhat went well.'], { type: 'text/markdown' }), 'retro.md');
  const upload = await fetch(`${url}/api/v1/resources/temp_upload`, {
    method: 'POST',
    headers: { 'X-API-Key': key },
    body: form,
  });
  const { result } = (await upload.json()) as { result: { temp_file_id: string } };
  const added = await fetch(`${url}/api/v1/resources`, {
    method: 'POST',
    headers: { 'X-API-Key': key, 'Content-Type': 'application/json' },
    body: JSON.stringify({ temp_file_id: result.temp_file_id }),
  });
  if (!added.ok) throw new Error(`add_resource answered ${added.status}`);
}

async function main(): Promise<void> {
  await mkdir(OUT, { recursive: true });
  const server = await startDemoServer(pino({ level: 'silent' }));
  const browser = await launchChromium({ width: 1000, height: 560 });
  try {
    const page = await browser.context.newPage();
    await page.goto(`${server.url}/console/`);
    await page.screenshot({ path: join(OUT, 'sign-in.png') });
    await signIn(page, server.url, server.keys.alice);
    await shoot(
      page,
      `${server.url}/console/#/browse?uri=viking://resources/guides`,
      'browse',
      '[data-testid="listing"]',
    );
    await shoot(
      page,
      `${server.url}/console/#/read?uri=viking://resources/guides/deploy.md`,
      'read',
      '[data-testid="content"]',
    );
    await shoot(
      page,
      `${server.url}/console/#/search?q=zanzibar&mode=hybrid`,
      'search',
      '[data-testid="hit"]',
    );
    await shoot(page, `${server.url}/console/#/session?id=standup`, 'session', '[data-testid="message"]');
    await addTask(server.url, server.keys.alice);
    await shoot(page, `${server.url}/console/#/tasks`, 'tasks', '[data-testid="tasks"] tbody tr');
    await signIn(page, server.url, server.keys.ada);
    await shoot(page, `${server.url}/console/#/users`, 'users', '[data-testid="users"]');
    await signIn(page, server.url, DEMO_ROOT_KEY);
    await shoot(page, `${server.url}/console/#/accounts`, 'accounts', '[data-testid="accounts"]');
  } finally {
    await browser.close();
    await server.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`screenshots failed: ${String(error)}\n`);
  process.exit(1);
});
