/** SPEC 12: the envelope, health/ready/status, the 404 envelope, body parsing errors and the size limit. */
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import {
  ROOT_KEY,
  expectErrorEnvelope,
  makeApp,
  removeDir,
  resultOf,
  type TestApp,
} from '../helpers/http-app.js';

const root = { 'X-API-Key': ROOT_KEY, 'X-OpenViking-Account': 'default', 'X-OpenViking-User': 'default' };

describe('envelope and error mapping', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await makeApp();
  });
  afterAll(() => removeDir(t.dataDir));

  test('GET /health answers without a key', async () => {
    const res = await request(t.app).get('/health').expect(200);
    expect(res.body).toEqual({ status: 'ok', healthy: true, version: '0.1.0' });
  });

  test('GET /ready answers 200 by default', async () => {
    const res = await request(t.app).get('/ready').expect(200);
    expect(res.body).toEqual({ status: 'ok', result: { ready: true, checks: {} }, error: null });
  });

  test('success envelope from a tenant router', async () => {
    const res = await request(t.app).get('/api/v1/probe/whoami').set(root).expect(200);
    expect(res.body).toEqual({
      status: 'ok',
      error: null,
      result: {
        role: 'root',
        effective: { account_id: 'default', user_id: 'default', agent_id: 'default' },
        policy: { isolate_user_scope_by_agent: false, isolate_agent_scope_by_user: false },
      },
    });
  });

  test.each([
    ['/nowhere', 'GET'],
    ['/api/v1/nowhere', 'GET'],
    ['/api/v1/admin/nowhere', 'POST'],
  ])('unknown route %s → 404 envelope', async (path, method) => {
    const res = await request(t.app)[method === 'GET' ? 'get' : 'post'](path).set(root).expect(404);
    expectErrorEnvelope(res.body, 'NOT_FOUND');
  });

  test('AppError thrown by a router keeps its code and details', async () => {
    const res = await request(t.app).get('/api/v1/probe/app-error').set(root).expect(412);
    expect(expectErrorEnvelope(res.body, 'FAILED_PRECONDITION')).toMatchObject({
      message: 'nope',
      details: { path: 'probe' },
    });
  });

  test('an unexpected exception is a generic 500 without details or stack', async () => {
    const res = await request(t.app).get('/api/v1/probe/crash').set(root).expect(500);
    const error = expectErrorEnvelope(res.body, 'INTERNAL');
    expect(error.message).toBe('internal error');
    expect(res.text).not.toMatch(/secret internal detail|at .*\.ts|stack/);
  });

  test.each(['{"name": ', '{name: 1}', '[1,', '"just a string', '\u0000'])(
    'malformed JSON %j → 400 INVALID_ARGUMENT',
    async (raw) => {
      const res = await request(t.app)
        .post('/api/v1/probe/echo')
        .set(root)
        .set('Content-Type', 'application/json')
        .send(raw)
        .expect(400);
      expectErrorEnvelope(res.body, 'INVALID_ARGUMENT');
    },
  );

  test('a body failing its schema → 400 with the failing fields', async () => {
    const res = await request(t.app).post('/api/v1/probe/echo').set(root).send({ name: '', count: 'x' });
    expect(res.status).toBe(400);
    const error = expectErrorEnvelope(res.body, 'INVALID_ARGUMENT');
    const fields = (error.details as { fields: { field: string }[] }).fields.map((f) => f.field).sort();
    expect(fields).toEqual(['count', 'name']);
  });

  test('a ZodError raised inside the server → 500 INTERNAL, blaming nothing on the client', async () => {
    const res = await request(t.app).get('/api/v1/probe/internal-zod').set(root).expect(500);
    const error = expectErrorEnvelope(res.body, 'INTERNAL');
    expect(error.message).toBe('internal error');
    expect(res.text).not.toMatch(/count|from the index|fields/);
  });

  test('a compressed body is refused with 400, not 500', async () => {
    const res = await request(t.app)
      .post('/api/v1/probe/echo')
      .set(root)
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'gzip')
      .send('{"name":"a","count":1}')
      .expect(400);
    expectErrorEnvelope(res.body, 'INVALID_ARGUMENT');
  });

  test('a valid body passes through', async () => {
    const res = await request(t.app).post('/api/v1/probe/echo').set(root).send({ name: 'a', count: 2 });
    expect(res.status).toBe(200);
    expect(resultOf(res)).toEqual({ name: 'a', count: 2 });
  });
});

describe('body size limit (default 10 MiB)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await makeApp();
  });
  afterAll(() => removeDir(t.dataDir));

  test('a real body over the limit gets a readable 413', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(11 * 1024 * 1024), count: 1 });
    const res = await request(t.app)
      .post('/api/v1/probe/echo')
      .set(root)
      .set('Content-Type', 'application/json')
      .send(big);
    expect(res.status).toBe(413);
    expectErrorEnvelope(res.body, 'PAYLOAD_TOO_LARGE');
  });

  test('authentication comes first (issue 23): no key is a 401 whatever the body; the server stays usable', async () => {
    await request(t.app)
      .post('/api/v1/probe/echo')
      .set('Content-Type', 'application/json')
      .send(`"${'y'.repeat(10 * 1024 * 1024 + 10)}"`)
      .expect(401);
    await request(t.app).get('/health').expect(200);
  });
});

describe('body size limit (configured small)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await makeApp({ env: { MAX_BODY_BYTES: '4096' } });
  });
  afterAll(() => removeDir(t.dataDir));

  test('a body just under the limit is accepted', async () => {
    const body = { name: 'z'.repeat(4000), count: 1 };
    await request(t.app).post('/api/v1/probe/echo').set(root).send(body).expect(200);
  });

  test('a chunked body without Content-Length is cut off at the limit with 413', async () => {
    const server = t.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = httpRequest(
          {
            port,
            host: '127.0.0.1',
            method: 'POST',
            path: '/api/v1/probe/echo',
            headers: { ...root, 'Content-Type': 'application/json' },
          },
          (res) => {
            let text = '';
            res.on('data', (chunk: Buffer) => (text += chunk.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
          },
        );
        req.on('error', reject);
        // Written in chunks without a length: the server must count bytes.
        for (let i = 0; i < 8; i += 1) req.write('a'.repeat(1024));
        req.end();
      });
      expect(status).toBe(413);
      expectErrorEnvelope(JSON.parse(text) as unknown, 'PAYLOAD_TOO_LARGE');
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('readiness and status sources', () => {
  test('/ready answers 503 with the checks when not ready, and when the check throws', async () => {
    const t = await makeApp({
      extra: { ready: () => Promise.resolve({ ok: false, checks: { index: 'opening' } }) },
    });
    const res = await request(t.app).get('/ready').expect(503);
    expect(expectErrorEnvelope(res.body, 'UNAVAILABLE').details).toEqual({ checks: { index: 'opening' } });
    const t2 = await makeApp({
      dataDir: t.dataDir,
      extra: { ready: () => Promise.reject(new Error('boom')) },
    });
    const res2 = await request(t2.app).get('/ready').expect(503);
    expect(res2.text).not.toContain('boom');
    await removeDir(t.dataDir);
  });

  test('/api/v1/system/status merges the status source and needs a key, not identity headers', async () => {
    const t = await makeApp({
      extra: { status: () => Promise.resolve({ queue_depth: 3, embedder: 'builtin' }) },
    });
    await request(t.app).get('/api/v1/system/status').expect(401);
    const res = await request(t.app).get('/api/v1/system/status').set('X-API-Key', ROOT_KEY).expect(200);
    expect(resultOf(res)).toMatchObject({
      version: '0.1.0',
      auth_mode: 'api_key',
      queue_depth: 3,
      embedder: 'builtin',
    });
    await removeDir(t.dataDir);
  });
});
