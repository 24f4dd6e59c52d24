/**
 * The web console's static files at /console: what is served (only the console folder's files, from
 * this server, under a strict CSP), what is not, and the identity fields the console reads from the
 * system status. The browser behaviour itself is tested in test/console/browser.test.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import express from 'express';
import request from 'supertest';
import { CONSOLE_CSP, CONSOLE_DIR, consoleRouter } from '../../src/http/console.js';
import { errorHandler } from '../../src/http/errors.js';
import {
  expectErrorEnvelope,
  keyOf,
  makeApp,
  removeDir,
  ROOT_KEY,
  type TestApp,
} from '../helpers/http-app.js';

const consoleFiles = readdirSync(CONSOLE_DIR);
const modules = consoleFiles.filter((name) => name.endsWith('.mjs'));

describe('console assets', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await makeApp();
  });
  afterAll(() => removeDir(t.dataDir));

  test('/console redirects to /console/, which is the page under a strict CSP', async () => {
    await request(t.app).get('/console').expect(301).expect('Location', '/console/');
    const res = await request(t.app)
      .get('/console/')
      .expect(200)
      .expect('Content-Type', /text\/html/);
    expect(res.headers['content-security-policy']).toBe(CONSOLE_CSP);
    expect(CONSOLE_CSP).toContain("script-src 'self'");
    expect(CONSOLE_CSP).toContain("form-action 'none'");
    expect(CONSOLE_CSP).not.toContain('unsafe');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.text).toContain('<script type="module" src="/console/app.mjs">');
  });

  test.each(consoleFiles)('%s is served with its type and the CSP', async (name) => {
    const res = await request(t.app).get(`/console/${name}`).expect(200);
    const type = { '.html': /text\/html/, '.mjs': /text\/javascript/, '.css': /text\/css/ }[
      name.slice(name.lastIndexOf('.'))
    ];
    expect(res.headers['content-type']).toMatch(type ?? /^$/);
    expect(res.headers['content-security-policy']).toBe(CONSOLE_CSP);
  });

  test.each(['nope.mjs', '..%2Fpackage.json', '%2e%2e%2fpackage.json', 'index.html%00.css'])(
    '/console/%s → 404 envelope',
    async (name) => {
      const res = await request(t.app).get(`/console/${name}`).expect(404);
      expectErrorEnvelope(res.body, 'NOT_FOUND');
    },
  );

  test('/console/../package.json never leaves the folder', async () => {
    const res = await request(t.app).get('/console/../package.json');
    expect(res.text).not.toContain('"vikingscope"');
  });

  test('a missing console folder answers 404 instead of failing the app', async () => {
    const app = express()
      .use('/console', consoleRouter(join(t.dataDir, 'no-such-folder')))
      .use(errorHandler);
    expectErrorEnvelope((await request(app).get('/console/').expect(404)).body, 'NOT_FOUND');
  });

  test('every asset comes from this server: no remote address, imports stay in the folder', () => {
    for (const name of consoleFiles) {
      const text = readFileSync(join(CONSOLE_DIR, name), 'utf8');
      expect(text).not.toMatch(/(src|href)\s*=\s*["']?(https?:)?\/\//i);
      expect(text).not.toMatch(/@import|url\(/);
    }
    for (const name of modules) {
      const text = readFileSync(join(CONSOLE_DIR, name), 'utf8');
      for (const [, target] of text.matchAll(/from '([^']+)'/g)) {
        expect(consoleFiles).toContain(target?.replace(/^\.\//, ''));
      }
    }
  });

  test('no module turns strings into markup', () => {
    for (const name of modules) {
      const text = readFileSync(join(CONSOLE_DIR, name), 'utf8');
      expect(text).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/);
    }
  });
});

describe('system status names the effective identity (the console shows it)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await makeApp();
  });
  afterAll(() => removeDir(t.dataDir));

  test('a USER key: account, user, agent and role', async () => {
    const root = { 'X-API-Key': ROOT_KEY };
    await request(t.app)
      .post('/api/v1/admin/accounts')
      .set(root)
      .send({ account_id: 'acme', admin_user_id: 'ada' });
    const created = await request(t.app)
      .post('/api/v1/admin/accounts/acme/users')
      .set(root)
      .send({ user_id: 'alice' })
      .expect(200);
    const res = await request(t.app)
      .get('/api/v1/system/status')
      .set({ 'X-API-Key': keyOf(created), 'X-OpenViking-Agent': 'bot' })
      .expect(200);
    expect(res.body).toMatchObject({
      result: { account_id: 'acme', user: 'alice', agent_id: 'bot', role: 'user' },
    });
  });
});
