/**
 * Issue 23 (hardening): `/docs` gets the console's security headers (a CSP allowing only this origin,
 * no inline script, no framing), and swagger-ui-dist's stock page (whose initializer fetches a
 * public demo document) is not served: only the files our page uses are.
 */
import request from 'supertest';
import { makeApp, removeDir, type TestApp } from '../helpers/http-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await makeApp();
});
afterAll(() => removeDir(t.dataDir));

function expectSecured(res: request.Response): void {
  const csp = String(res.headers['content-security-policy']);
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("script-src 'self'");
  expect(csp).not.toContain('unsafe-inline');
  expect(csp).toContain("frame-ancestors 'none'");
  expect(res.headers['x-frame-options']).toBe('DENY');
  expect(res.headers['x-content-type-options']).toBe('nosniff');
}

test('the reference page and its files carry the CSP and framing protection; the page has no inline script', async () => {
  const page = await request(t.app).get('/docs').expect(200);
  expectSecured(page);
  for (const script of page.text.match(/<script[^>]*>/g) ?? []) expect(script).toMatch(/ src="\/docs\//);
  expect(page.text).not.toMatch(/<script>/);
  for (const file of ['/docs/init.js', '/docs/swagger-ui-bundle.js', '/docs/swagger-ui.css']) {
    expectSecured(await request(t.app).get(file).expect(200));
  }
  const init = await request(t.app).get('/docs/init.js');
  expect(init.text).toContain("url: '/openapi.json'");
});

test.each([
  '/docs/index.html',
  '/docs/swagger-initializer.js',
  '/docs/oauth2-redirect.html',
  '/docs/package.json',
])("swagger-ui-dist's %s is not served", async (path) => {
  const res = await request(t.app).get(path);
  expect(res.status).toBe(404);
  expect(res.text).not.toContain('petstore');
});
