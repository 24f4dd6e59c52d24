/**
 * Observer, debug health and /health identity: the OpenViking shapes, and a non-ROOT caller seeing
 * only its own account's figures.
 */
import request from 'supertest';
import { Observer } from '../../src/observer.js';
import { DEFAULT_POLICY, type RequestContext, type Role } from '../../src/policy/index.js';
import { ROOT_KEY, fullApp, type FullApp } from '../helpers/full-app.js';
import { at, resultOf } from '../helpers/http-app.js';

const ALICE = { account: 'acme', user: 'alice' };
const CAROL = { account: 'other', user: 'carol' };
const ROOT = { account: 'acme', user: 'alice', root: true };

describe('observer and health', () => {
  let t: FullApp;
  beforeAll(async () => {
    t = await fullApp({
      accounts: [
        { account_id: 'acme', users: ['alice'] },
        { account_id: 'other', users: ['carol'] },
      ],
    });
    for (const i of [1, 2, 3]) {
      await t
        .client(ALICE)
        .post('/api/v1/content/write')
        .send({ uri: `viking://resources/doc${i}.md`, content: `acme document ${i}`, wait: true })
        .expect(200);
    }
  });
  afterAll(() => t.close());

  test('every component has OpenViking shape', async () => {
    for (const name of ['queue', 'vikingdb', 'models']) {
      const res = await t.client(ROOT).get(`/api/v1/observer/${name}`).expect(200);
      expect(resultOf(res)).toMatchObject({ name, is_healthy: true, has_errors: false });
      expect(typeof at(res, 'status')).toBe('string');
    }
    const system = await t.client(ROOT).get('/api/v1/observer/system').expect(200);
    expect(resultOf(system)).toMatchObject({ is_healthy: true, errors: [] });
    expect(Object.keys(at(system, 'components') as object).sort()).toEqual(['models', 'queue', 'vikingdb']);
    const models = await t.client(CAROL).get('/api/v1/observer/models').expect(200);
    expect(resultOf(models)).toMatchObject({ embedding: 'builtin:hash-v1-384', dimension: 384 });
  });

  test('ROOT sees the whole index; a user only its own account', async () => {
    const total = await t.services.store.countRows();
    const root = await t.client(ROOT).get('/api/v1/observer/vikingdb').expect(200);
    expect(resultOf(root)).toMatchObject({ records: total, processed: total });
    const acme = await t.client(ALICE).get('/api/v1/observer/vikingdb').expect(200);
    expect(at(acme, 'records')).toBe(3);
    const other = await t.client(CAROL).get('/api/v1/observer/vikingdb').expect(200);
    expect(at(other, 'records')).toBe(0);
    expect(at(other, 'status')).not.toContain(String(total));

    const rootQueue = await t.client(ROOT).get('/api/v1/observer/queue').expect(200);
    expect(resultOf(rootQueue)).toMatchObject({ pending: 0, failed_jobs: 0 });
    const queue = await t.client(CAROL).get('/api/v1/observer/queue').expect(200);
    expect(Object.keys(resultOf(queue) as object).sort()).toEqual([
      'has_errors',
      'is_healthy',
      'name',
      'pending',
      'status',
    ]);
    const system = await t.client(CAROL).get('/api/v1/observer/system').expect(200);
    expect(at(system, 'components', 'vikingdb', 'records')).toBe(0);
  });

  test('status is decided by the Observer itself: only a ROOT context sees server-wide figures', async () => {
    const { pipeline, store, embedder, guard, config } = t.services;
    const observer = new Observer({ pipeline, store, embedder, guard, dataDir: config.dataDir });
    const ctx = (role: Role, account_id: string): RequestContext => ({
      role,
      policy: DEFAULT_POLICY,
      effective: { account_id, user_id: 'alice', agent_id: 'default' },
    });
    for (const role of ['user', 'admin'] as const) {
      const status = await observer.status(ctx(role, 'other'));
      expect(Object.keys(status).sort()).toEqual(
        ['embedder', 'index', 'index_lag_s', 'indexing_paused', 'queue_depth', 'records'].sort(),
      );
      expect(status['records']).toBe(0);
    }
    expect((await observer.status(ctx('user', 'acme')))['records']).toBe(3);
    const root = await observer.status(ctx('root', 'other'));
    expect(root).toMatchObject({ index: 'ok', failed_jobs: 0 });
    expect(root).toHaveProperty('search_memory');
  });

  test('debug/health answers healthy; observers need a key', async () => {
    const res = await t.client(ALICE).get('/api/v1/debug/health').expect(200);
    expect(res.body).toEqual({ status: 'ok', result: { healthy: true }, error: null });
    await request(t.app).get('/api/v1/observer/system').expect(401);
  });

  test('/health names the user a key resolves to, and nothing for a bad or missing key', async () => {
    const alice = await t.client(ALICE).get('/health').expect(200);
    expect(alice.body).toMatchObject({ status: 'ok', healthy: true, user_id: 'alice' });
    const root = await request(t.app)
      .get('/health')
      .set('Authorization', `Bearer ${ROOT_KEY}`)
      .set('X-OpenViking-Account', 'other')
      .set('X-OpenViking-User', 'carol')
      .expect(200);
    expect(root.body).toMatchObject({ user_id: 'carol' });
    const bad = await request(t.app).get('/health').set('X-API-Key', 'f'.repeat(64)).expect(200);
    expect(bad.body).not.toHaveProperty('user_id');
    const none = await request(t.app).get('/health').expect(200);
    expect(none.body).not.toHaveProperty('user_id');
  });
});
