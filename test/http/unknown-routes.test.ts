/**
 * Unknown routes answer 404 NOT_FOUND with `details.route` before authentication, for every caller
 * and auth mode (SPEC 5): no 401 or 400 from the auth middleware, and a body a client can tell from
 * "file not found". Known routes still authenticate first.
 */
import request from 'supertest';
import { z } from 'zod';
import { ROOT_KEY, fullApp, type FullApp } from '../helpers/full-app.js';

const notFound = z.object({
  status: z.literal('error'),
  result: z.null(),
  error: z.object({
    code: z.literal('NOT_FOUND'),
    message: z.string(),
    details: z.object({ route: z.string() }),
  }),
});

const UNKNOWN: ReadonlyArray<readonly [string, string]> = [
  ['GET', '/api/v1/nowhere'],
  ['POST', '/api/v1/sessions/s1/nope'],
  ['PUT', '/api/v1/sessions'],
  ['GET', '/api/v1/sessions/s1/archives'],
  ['DELETE', '/api/v1/search/find'],
  ['GET', '/api/v1/admin/nowhere'],
  ['POST', '/api/v1/system/nowhere'],
  ['GET', '/api/v1'],
  ['GET', '/nowhere'],
];

type Method = 'get' | 'post' | 'put' | 'delete';

describe.each([
  ['api_key', {}],
  ['trusted', { AUTH_MODE: 'trusted' }],
])('%s mode', (_mode, env) => {
  let t: FullApp;
  beforeAll(async () => {
    t = await fullApp({ env });
  });
  afterAll(() => t.close());

  const callers: ReadonlyArray<readonly [string, Record<string, string>]> = [
    ['no key', {}],
    ['an unknown key', { 'X-API-Key': 'f'.repeat(64) }],
    ['ROOT without identity headers', { 'X-API-Key': ROOT_KEY }],
    ['ROOT with a malformed agent', { 'X-API-Key': ROOT_KEY, 'X-OpenViking-Agent': 'bad id' }],
  ];

  test.each(callers)('%s: every unknown route is 404 NOT_FOUND naming the route', async (_who, headers) => {
    for (const [method, path] of UNKNOWN) {
      const res = await request(t.app)[method.toLowerCase() as Method](path).set(headers);
      expect([method, path, res.status]).toEqual([method, path, 404]);
      expect(notFound.parse(res.body).error.details.route).toBe(`${method} ${path}`);
    }
  });

  test('known routes, with parameters and a trailing slash, still authenticate first', async () => {
    for (const path of ['/api/v1/fs/ls', '/api/v1/sessions/s1/archives/archive_001', '/api/v1/sessions/']) {
      const res = await request(t.app).get(path);
      expect([path, res.status]).toEqual([path, 401]);
    }
    const head = await request(t.app).head('/api/v1/fs/stat');
    expect(head.status).toBe(401);
  });
});
