/**
 * Search admission over HTTP (issue 11): with one search in flight and one waiting, the next one gets
 * 503 UNAVAILABLE with `Retry-After`, and slots are released whatever way a search ends. The index is
 * a gate the test opens, so "in flight" is a state the test controls, never a matter of timing.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Express } from 'express';
import request from 'supertest';
import { AdminService } from '../../src/accounts/admin.js';
import { AccountStore } from '../../src/accounts/store.js';
import { loadConfig } from '../../src/config.js';
import type { ContentHooks } from '../../src/hooks.js';
import { buildApp } from '../../src/http/app.js';
import { searchRouter } from '../../src/http/routes/search.js';
import { createBuiltinEmbedder } from '../../src/embedders/builtin.js';
import type { PlanReport } from '../../src/index/planner.js';
import { logger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import { SearchAdmission } from '../../src/search/admission.js';
import { SearchService, type IndexHit, type SearchIndex } from '../../src/search/service.js';
import { expectErrorEnvelope, removeDir } from '../helpers/http-app.js';

/** An index whose queries wait until `open()`; `failNext` makes the next query reject. */
class GateIndex implements SearchIndex {
  calls = 0;
  failNext = false;
  private waiters: Array<() => void> = [];

  async vectorSearch(): Promise<{ rows: readonly IndexHit[]; plan: PlanReport }> {
    return { rows: await this.query(), plan: { name: 'lance-exact', matching: null, stages_ms: {} } };
  }

  fullTextSearch(): Promise<readonly IndexHit[]> {
    return this.query();
  }

  open(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const release of waiters) release();
  }

  private query(): Promise<readonly IndexHit[]> {
    this.calls += 1;
    if (this.failNext) {
      this.failNext = false;
      return Promise.reject(new Error('index unavailable'));
    }
    return new Promise((resolve) => this.waiters.push(() => resolve([])));
  }
}

const noHooks: ContentHooks = {
  fileWritten: () => Promise.resolve([]),
  removed: () => Promise.resolve([]),
  moved: () => Promise.resolve([]),
  messageAdded: () => Promise.resolve([]),
  accountDeleted: () => Promise.resolve([]),
};

let dataDir: string;
let app: Express;
let index: GateIndex;
let admission: SearchAdmission;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'vs-admission-'));
  // Dev mode: every request is ROOT as default/default/default, so no keys are needed.
  const config = loadConfig({ DATA_DIR: dataDir, MAX_SEARCH_INFLIGHT: '1', MAX_SEARCH_QUEUE: '1' });
  const accounts = await AccountStore.open({ dataDir, registry: false, hooks: noHooks });
  index = new GateIndex();
  const metrics = new Metrics({ searchLoad: () => admission.stats() });
  admission = new SearchAdmission({
    maxInflight: config.maxSearchInflight,
    maxQueue: config.maxSearchQueue,
    onReject: () => metrics.searchesRejected.inc(),
  });
  const service = new SearchService({ index, embedder: createBuiltinEmbedder(), log: logger });
  app = buildApp({
    config,
    accounts,
    admin: new AdminService(accounts),
    routers: [searchRouter(service, admission)],
    metrics,
  });
});

afterEach(async () => {
  index.open();
  await removeDir(dataDir);
});

const find = (body: Record<string, unknown> = {}) =>
  request(app)
    .post('/api/v1/search/find')
    .send({ query: 'tea', mode: 'fulltext', ...body });

/** Polls a condition the test's own actions will make true (no fixed sleeps). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

/** Fills the one slot and the one queue place; resolves to the two pending responses. */
async function saturate() {
  const running = find().then((res) => res);
  await until(() => index.calls === 1);
  const queued = find().then((res) => res);
  await until(() => admission.stats().queued === 1);
  return { running, queued };
}

test('past the in-flight limit and the queue, searches get 503 UNAVAILABLE with Retry-After', async () => {
  const { running, queued } = await saturate();

  const refused = await find();
  expect(refused.status).toBe(503);
  expect(refused.headers['retry-after']).toBe('1');
  const error = expectErrorEnvelope(refused.body, 'UNAVAILABLE');
  expect(error.details).toMatchObject({ retry_after_s: 1 });

  const metrics = await request(app).get('/metrics');
  expect(metrics.text).toMatch(/^vikingscope_search_rejected_total 1$/m);
  expect(metrics.text).toMatch(/^vikingscope_search_inflight 1$/m);
  expect(metrics.text).toMatch(/^vikingscope_search_queued 1$/m);

  index.open();
  expect((await running).status).toBe(200);
  await until(() => index.calls === 2);
  index.open();
  expect((await queued).status).toBe(200);
  expect(admission.stats()).toEqual({ inflight: 0, queued: 0 });
});

test('a search that fails releases its slot', async () => {
  index.failNext = true;
  const failed = await find();
  expect(failed.status).toBe(500);
  expect(admission.stats()).toEqual({ inflight: 0, queued: 0 });

  const denied = await find({ target_uri: 'viking://nowhere/x' });
  expect(denied.status).toBe(400);
  expect(admission.stats()).toEqual({ inflight: 0, queued: 0 });

  // Both slots are free again: the same saturation as above is needed before a 503.
  const { running, queued } = await saturate();
  expect((await find()).status).toBe(503);
  index.open();
  await running;
  await until(() => index.calls === 3);
  index.open();
  expect((await queued).status).toBe(200);
});

test('a malformed search is refused before admission and never waits', async () => {
  const { running, queued } = await saturate();
  const invalid = await find({ query: '' });
  expect(invalid.status).toBe(400);
  index.open();
  await running;
  await until(() => index.calls === 2);
  index.open();
  await queued;
});
