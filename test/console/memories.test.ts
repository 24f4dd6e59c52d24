/**
 * Issue 25: a session page shows the memories extraction took from it, per participant — and only
 * what the signed-in identity may read. Alice and Bob speak in one shared session, Alice commits; a
 * local OpenAI-compatible model proposes one memory per user message (the server attributes them).
 */
import type { Page } from 'playwright-core';
import { z } from 'zod';
import { launchChromium, type Chromium } from '../../scripts/lib/chromium.js';
import { signIn } from '../../scripts/lib/console-demo.js';
import { fullApp, type FullApp } from '../helpers/full-app.js';
import { listen, type Listening } from '../helpers/mcp.js';
import { startFakeModelServer, type FakeModelServer } from '../helpers/openai-server.js';

const shown = z.object({
  messages: z.array(z.object({ message_id: z.string(), role: z.string(), text: z.string() })),
});

let model: FakeModelServer;
let app: FullApp;
let server: Listening;
let browser: Chromium;

beforeAll(async () => {
  model = await startFakeModelServer();
  model.chat = (request) => {
    const { messages } = shown.parse(JSON.parse(request.messages.at(-1)?.content ?? '{}'));
    const memories = messages
      .filter((m) => m.role === 'user')
      .map((m) => ({
        category: 'preferences',
        abstract: m.text,
        content: m.text,
        source_message_ids: [m.message_id],
      }));
    return JSON.stringify({ memories });
  };
  app = await fullApp({
    env: { LLM_BASE_URL: model.baseUrl, LLM_MODEL: 'chat-test' },
    accounts: [{ account_id: 'acme', users: ['alice', 'bob'] }],
  });
  const alice = app.client({ account: 'acme', user: 'alice' });
  const bob = app.client({ account: 'acme', user: 'bob' });
  await alice
    .post('/api/v1/sessions/s1/messages')
    .send({ role: 'user', content: 'alice likes green tea' })
    .expect(200);
  await bob
    .post('/api/v1/sessions/s1/messages')
    .send({ role: 'user', content: 'bob prefers coffee' })
    .expect(200);
  const committed = await alice.post('/api/v1/sessions/s1/commit').send({}).expect(200);
  const taskId = (committed.body as { result: { task_id: string } }).result.task_id;
  // Extraction runs in the background: wait for it (60 s under a loaded CI), then for its memories'
  // index jobs, so the page is rendered from a settled store.
  let status = '';
  for (const deadline = Date.now() + 60_000; status !== 'completed' && Date.now() < deadline;) {
    const task = await alice.get(`/api/v1/tasks/${taskId}`).expect(200);
    status = (task.body as { result: { status: string } }).result.status;
    if (status === 'failed') throw new Error(`extraction failed: ${JSON.stringify(task.body)}`);
    if (status !== 'completed') await new Promise((r) => setTimeout(r, 25));
  }
  expect(status).toBe('completed');
  await app.root().post('/api/v1/system/wait').send({ timeout: 60 }).expect(200);
  server = await listen(app.app);
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await app?.close();
  await model?.close();
});

async function sessionPage(user: string): Promise<Page> {
  const page = await browser.context.newPage();
  await signIn(page, server.url, app.keys.get(`acme/${user}`) ?? '');
  const before = (await page.locator('#view').getAttribute('data-rendered')) ?? '';
  await page.goto(`${server.url}/console/#/session?id=s1`);
  await page.locator(`#view[data-rendered]:not([data-rendered=${JSON.stringify(before)}])`).waitFor();
  // The sign-in's own render (the default route) may complete after `before` was read and satisfy
  // the wait above: wait for the session view itself (its memories section is part of its render).
  await page.getByRole('heading', { name: 'Memories from this session' }).waitFor();
  return page;
}

test.each([
  ['alice', 'viking://user/alice', 'viking://user/bob'],
  ['bob', 'viking://user/bob', 'viking://user/alice'],
])(
  '%s sees the memories this session gave her or him, not the other participant’s',
  async (user, own, other) => {
    const page = await sessionPage(user);
    try {
      const owners = await page.getByTestId('memory-owner').locator('h3').allTextContents();
      expect(owners).toEqual([own]);
      const links = await page.getByTestId('memory-owner').locator('a').allTextContents();
      expect(links).toHaveLength(1);
      expect(links[0]).toMatch(new RegExp(`^${own}/memories/preferences/mem_[0-9a-f]{32}\\.md$`));
      expect(await page.locator('main').innerText()).not.toContain(other);
    } finally {
      await page.close();
    }
  },
);
