/** `GET /metrics` (issue 11): ROOT only, Prometheus text format, requests labelled by route pattern. */
import request from 'supertest';
import { fullApp, type FullApp } from '../helpers/full-app.js';
import { expectErrorEnvelope } from '../helpers/http-app.js';

const METRIC_NAMES = [
  'vikingscope_http_requests_total',
  'vikingscope_http_request_duration_seconds',
  'vikingscope_index_queue_depth',
  'vikingscope_index_lag_seconds',
  'vikingscope_index_jobs_failed_total',
  'vikingscope_index_records',
  'vikingscope_search_plans_total',
  'vikingscope_search_integrity_errors_total',
  'vikingscope_search_rejected_total',
  'vikingscope_search_inflight',
  'vikingscope_search_queued',
  'process_resident_memory_bytes',
];

let world: FullApp;

beforeAll(async () => {
  world = await fullApp({ accounts: [{ account_id: 'acme', users: ['alice'] }] });
});

afterAll(async () => {
  await world.close();
});

async function scrape(): Promise<string> {
  const res = await world.root().get('/metrics');
  expect(res.status).toBe(200);
  return res.text;
}

/** The value of one sample line, e.g. `name{a="b"} 3`. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const line = text
    .split('\n')
    .find(
      (l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)),
    );
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('GET /metrics', () => {
  test('ROOT gets the Prometheus text format with every metric', async () => {
    const res = await world.root().get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    for (const name of METRIC_NAMES) {
      expect(res.text).toContain(`# HELP ${name} `);
      expect(res.text).toMatch(new RegExp(`^# TYPE ${name} (counter|gauge|histogram)$`, 'm'));
    }
    expect(res.text).toMatch(/^vikingscope_index_queue_depth \d+$/m);
    expect(res.text).toMatch(/^vikingscope_index_records \d+$/m);
  });

  test('a USER key is refused with 403, no key with 401', async () => {
    const user = await world.client({ account: 'acme', user: 'alice' }).get('/metrics');
    expect(user.status).toBe(403);
    expectErrorEnvelope(user.body, 'PERMISSION_DENIED');
    const anonymous = await request(world.app).get('/metrics');
    expect(anonymous.status).toBe(401);
    expectErrorEnvelope(anonymous.body, 'UNAUTHENTICATED');
    const wrong = await request(world.app).get('/metrics').set('X-API-Key', 'not-a-key');
    expect(wrong.status).toBe(401);
  });

  test('requests are counted by route pattern and status, never by raw URL', async () => {
    const alice = world.client({ account: 'acme', user: 'alice' });
    const labels = { method: 'GET', route: '/api/v1/fs/ls', status: '200' };
    const before = sample(await scrape(), 'vikingscope_http_requests_total', labels) ?? 0;
    const written = await alice
      .post('/api/v1/content/write')
      .send({ uri: 'viking://resources/unique-folder-xyz/a.md', content: 'hello' });
    expect(written.status).toBe(200);
    const listed = await alice.get('/api/v1/fs/ls').query({ uri: 'viking://resources/unique-folder-xyz' });
    expect(listed.status).toBe(200);
    const missing = await alice.get('/api/v1/no-such-route/abc123');
    expect(missing.status).toBe(404);

    const text = await scrape();
    expect(sample(text, 'vikingscope_http_requests_total', labels)).toBe(before + 1);
    expect(sample(text, 'vikingscope_http_request_duration_seconds_count', labels)).toBeGreaterThanOrEqual(1);
    expect(
      sample(text, 'vikingscope_http_requests_total', { route: 'unmatched', status: '404' }),
    ).toBeGreaterThanOrEqual(1);
    expect(text).not.toContain('unique-folder-xyz');
    expect(text).not.toContain('abc123');
  });

  test('errors thrown inside a mounted router keep the full route pattern', async () => {
    const alice = world.client({ account: 'acme', user: 'alice' });
    const res = await alice.get('/api/v1/content/read').query({ uri: 'viking://resources/nothing-here.md' });
    expect(res.status).toBe(404);
    const text = await scrape();
    expect(
      sample(text, 'vikingscope_http_requests_total', { route: '/api/v1/content/read', status: '404' }),
    ).toBeGreaterThanOrEqual(1);
  });

  test('each vector query counts the plan it ran with', async () => {
    const alice = world.client({ account: 'acme', user: 'alice' });
    const plans = (text: string): number =>
      text
        .split('\n')
        .filter((line) => line.startsWith('vikingscope_search_plans_total{plan="'))
        .reduce((total, line) => total + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
    const before = plans(await scrape());
    const res = await alice.post('/api/v1/search/find').send({ query: 'hello', mode: 'vector' });
    expect(res.status).toBe(200);
    expect(plans(await scrape())).toBe(before + 1);
  });

  test('system routes are labelled with their mount path', async () => {
    expect((await world.root().get('/api/v1/system/status')).status).toBe(200);
    const text = await scrape();
    expect(
      sample(text, 'vikingscope_http_requests_total', { route: '/api/v1/system/status', status: '200' }),
    ).toBeGreaterThanOrEqual(1);
  });
});
