/**
 * A real VikingScope server on a free loopback port with a temporary DATA_DIR, the builtin embedder
 * and a root key, seeded through the HTTP API with a small account for the web console's browser
 * tests and screenshots: users who each keep a private memory, a shared document, a file whose name
 * and content are HTML, a shared session with messages from two users and an agent, and a session
 * committed twice (two archives, then one live message).
 */
import type { Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { z } from 'zod';
import { loadConfig } from '../../src/config.js';
import { createApp } from '../../src/http/app.js';
import type { Logger } from '../../src/log.js';
import { buildServices } from '../../src/services.js';

export const DEMO_ROOT_KEY = 'console-demo-root-key-0123456789abcdef';
/** A word only in bob's private memory: it must never reach another user's page. */
export const BOB_SECRET = 'quokkaBobPrivate';
export const HOSTILE_NAME = '<img src=x onerror=alert(1)>.md';
export const HOSTILE_CONTENT = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">';

export interface DemoServer {
  readonly url: string;
  /** Keys by user: `ada` (ADMIN of acme), `alice` and `bob` (USERs of acme). */
  readonly keys: Readonly<Record<'ada' | 'alice' | 'bob', string>>;
  close(): Promise<void>;
}

const Envelope = z.object({ status: z.literal('ok'), result: z.unknown() });
const KeyResult = z.object({ user_key: z.string() });

type Call = (
  method: string,
  path: string,
  body?: unknown,
  headers?: Record<string, string>,
) => Promise<unknown>;

function caller(url: string, key: string): Call {
  return async (method, path, body, headers = {}) => {
    const res = await fetch(url + path, {
      method,
      headers: { 'X-API-Key': key, 'Content-Type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
    return Envelope.parse(JSON.parse(text)).result;
  };
}

async function seedAccounts(root: Call): Promise<DemoServer['keys']> {
  const created = await root('POST', '/api/v1/admin/accounts', { account_id: 'acme', admin_user_id: 'ada' });
  const userKey = async (user_id: string) =>
    KeyResult.parse(await root('POST', '/api/v1/admin/accounts/acme/users', { user_id })).user_key;
  const keys = {
    ada: KeyResult.parse(created).user_key,
    alice: await userKey('alice'),
    bob: await userKey('bob'),
  };
  await root('POST', '/api/v1/admin/accounts', {
    account_id: 'globex',
    admin_user_id: 'gail',
    isolate_user_scope_by_agent: true,
    isolate_agent_scope_by_user: true,
  });
  return keys;
}

async function seedContent(url: string, keys: DemoServer['keys']): Promise<void> {
  const [alice, bob] = [caller(url, keys.alice), caller(url, keys.bob)];
  const write = (as: Call, uri: string, content: string) =>
    as('POST', '/api/v1/content/write', { uri, content, wait: true });
  await write(
    alice,
    'viking://user/memories/preferences/editor.md',
    'Alice likes the zanzibar colour theme.',
  );
  await write(bob, 'viking://user/memories/preferences/private.md', `Bob's zanzibar note: ${BOB_SECRET}.`);
  await write(
    alice,
    'viking://resources/guides/deploy.md',
    '# Deploying zanzibar\n\nRun the release script.',
  );
  await write(alice, `viking://resources/guides/${HOSTILE_NAME}`, HOSTILE_CONTENT);
  const message = (as: Call, role: string, text: string, headers?: Record<string, string>) =>
    as('POST', '/api/v1/sessions/standup/messages', { role, content: text, wait: true }, headers);
  await message(alice, 'user', 'Where are we with the zanzibar release?');
  await message(alice, 'assistant', 'The zanzibar release is ready to ship.', {
    'X-OpenViking-Agent': 'planner',
  });
  await message(bob, 'user', 'I will announce it.');
  await seedRetro(alice, bob);
}

/** `retro`: two commits (archive_001 and archive_002), each archiving different words, then a live message. */
async function seedRetro(alice: Call, bob: Call): Promise<void> {
  const say = (as: Call, text: string) =>
    as('POST', '/api/v1/sessions/retro/messages', { role: 'user', content: text, wait: true });
  await say(alice, 'The launch checklist was far too long.');
  await alice('POST', '/api/v1/sessions/retro/commit', {});
  await say(bob, 'Next quarter we trim the checklist to ten steps.');
  await bob('POST', '/api/v1/sessions/retro/commit', {});
  await say(alice, 'Agreed, ten steps.');
}

/** Starts and seeds the server; `close()` stops it and removes its DATA_DIR. */
export async function startDemoServer(log: Logger): Promise<DemoServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'vs-console-'));
  const config = loadConfig({ EMBEDDER: 'builtin', ROOT_API_KEY: DEMO_ROOT_KEY, DATA_DIR: dataDir });
  const services = await buildServices(config, log);
  const server = await new Promise<Server>((resolve, reject) => {
    const listening = createApp(services).listen(0, '127.0.0.1', () => resolve(listening));
    listening.once('error', reject);
  });
  const close = async (): Promise<void> => {
    // The browser keeps connections open; they are cut so close() does not wait for them.
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await services.close();
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no TCP address');
    const url = `http://127.0.0.1:${address.port}`;
    const keys = await seedAccounts(caller(url, DEMO_ROOT_KEY));
    await seedContent(url, keys);
    return { url, keys, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Opens the console in `page` and signs in with `key`, optionally acting as another identity. */
export async function signIn(
  page: Page,
  url: string,
  key: string,
  actAs: { account?: string; user?: string } = {},
): Promise<void> {
  // A fresh sign-in: forget the key of an earlier one in this tab — on a page of the same origin
  // that runs no console code, so no request of the old session can leave without its key.
  await page.goto(`${url}/health`);
  await page.evaluate(() =>
    (globalThis as unknown as { sessionStorage: { clear(): void } }).sessionStorage.clear(),
  );
  await page.goto(`${url}/console/`);
  await page.fill('#api-key', key);
  if (actAs.account !== undefined) await page.fill('#as-account', actAs.account);
  if (actAs.user !== undefined) await page.fill('#as-user', actAs.user);
  await page.click('[data-testid="sign-in"] button[type="submit"]');
  await page.getByTestId('who').filter({ hasText: /\S/ }).waitFor();
}
