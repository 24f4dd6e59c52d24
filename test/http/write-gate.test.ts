/**
 * The write gate through the app: while a backup holds the gate (the snapshot moment), a request
 * whose route declares `changes` waits for it, and everything else — reads, searches, routes that do
 * not declare `changes` — is answered. A changing request in flight delays the snapshot until its
 * answer is sent. The full app's declarations say which of its routes change data.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Router, type Express } from 'express';
import request from 'supertest';
import { AdminService } from '../../src/accounts/admin.js';
import { AccountStore } from '../../src/accounts/store.js';
import { loadConfig } from '../../src/config.js';
import { NO_HOOKS } from '../../src/hooks.js';
import { buildApp } from '../../src/http/app.js';
import { sendOk } from '../../src/http/context.js';
import { route, routesOf, type RouteDoc } from '../../src/http/openapi/route.js';
import { WriteGate } from '../../src/storage/gate.js';
import { expressRoutes } from '../helpers/express-routes.js';
import { fullApp, ROOT_KEY, type FullApp } from '../helpers/full-app.js';
import { removeDir } from '../helpers/http-app.js';

/** A promise and the function that settles it. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

const tick = (ms = 150): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('the gate reads the route declarations', () => {
  let dataDir: string;
  let app: Express;
  let gate: WriteGate;
  /** Settled by the test to let the slow changing route answer. */
  let slow: { promise: Promise<void>; resolve: () => void };

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'vs-gate-'));
    // Dev mode: every request is ROOT, so no keys are needed.
    const config = loadConfig({ DATA_DIR: dataDir });
    const accounts = await AccountStore.open({ dataDir, registry: false, hooks: NO_HOOKS });
    const router = Router();
    const doc = { tag: 't', summary: 'test route' } as const;
    const ok = (_req: unknown, res: Parameters<typeof sendOk>[0]) => sendOk(res, { ok: true });
    route(router, { ...doc, method: 'post', path: '/t/write', changes: true }, ok);
    route(router, { ...doc, method: 'post', path: '/t/slow-write', changes: true }, async (_req, res) => {
      await slow.promise;
      sendOk(res, { ok: true });
    });
    route(router, { ...doc, method: 'post', path: '/t/lookup' }, ok);
    route(router, { ...doc, method: 'get', path: '/t/read' }, ok);
    gate = new WriteGate();
    slow = deferred();
    app = buildApp({ config, accounts, admin: new AdminService(accounts), routers: [router], gate });
  });

  afterEach(() => removeDir(dataDir));

  test('during a snapshot a changing route waits; others are answered', async () => {
    const held = deferred();
    const snapshot = gate.snapshot(() => held.promise);
    let written = false;
    const write = request(app)
      .post('/api/v1/t/write')
      .send({})
      .then((res) => {
        written = true;
        return res;
      });
    expect((await request(app).post('/api/v1/t/lookup').send({})).status).toBe(200);
    expect((await request(app).get('/api/v1/t/read')).status).toBe(200);
    await tick();
    expect(written).toBe(false);
    held.resolve();
    await snapshot;
    expect((await write).status).toBe(200);
  });

  test('a snapshot waits until a changing request has answered', async () => {
    const write = request(app).post('/api/v1/t/slow-write').send({}).then();
    await tick();
    let taken = false;
    const snapshot = gate.snapshot(() => {
      taken = true;
      return Promise.resolve();
    });
    await tick();
    expect(taken).toBe(false);
    slow.resolve();
    expect((await write).status).toBe(200);
    await snapshot;
    expect(taken).toBe(true);
  });
});

describe('the full app', () => {
  let t: FullApp;
  beforeAll(async () => {
    t = await fullApp();
  });
  afterAll(() => t.close());

  const declarations = (): Array<RouteDoc & { readonly at: string }> =>
    expressRoutes(t.app).routers.flatMap((router) =>
      routesOf(router).map((doc) => ({ ...doc, at: `${doc.method.toUpperCase()} ${doc.path}` })),
    );

  test('the routes that change data say so; searches, waits and backups do not', () => {
    const changing = new Set(
      declarations()
        .filter((d) => d.changes === true)
        .map((d) => d.at),
    );
    for (const at of ['POST /content/write', 'DELETE /fs', 'POST /sessions/:id/messages', 'POST /mcp'])
      expect(changing).toContain(at);
    for (const at of ['POST /search/find', 'POST /search/grep', 'POST /wait', 'POST /backup', 'GET /fs/ls'])
      expect(changing).not.toContain(at);
  });

  test('every PUT, PATCH and DELETE that is implemented declares that it changes data', () => {
    const missing = declarations()
      .filter((d) => ['put', 'patch', 'delete'].includes(d.method) && d.tag !== 'unimplemented')
      .filter((d) => d.path !== '/mcp' && d.changes !== true)
      .map((d) => d.at);
    expect(missing).toEqual([]);
  });

  test('while a backup holds the gate a write waits and a search is answered', async () => {
    const held = deferred();
    const snapshot = t.services.gate.snapshot(() => held.promise);
    const root = () => request(t.app);
    let written = false;
    const write = root()
      .post('/api/v1/content/write')
      .set('X-API-Key', ROOT_KEY)
      .set('X-OpenViking-Account', 'default')
      .set('X-OpenViking-User', 'default')
      .send({ uri: 'viking://resources/gate.md', content: 'held' })
      .then((res) => {
        written = true;
        return res;
      });
    const search = await root()
      .post('/api/v1/search/find')
      .set('X-API-Key', ROOT_KEY)
      .set('X-OpenViking-Account', 'default')
      .set('X-OpenViking-User', 'default')
      .send({ query: 'held' });
    expect(search.status).toBe(200);
    await tick();
    expect(written).toBe(false);
    held.resolve();
    await snapshot;
    expect((await write).status).toBe(200);
  });
});
