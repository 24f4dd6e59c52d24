/**
 * Issue 28, a newcomer's first hour over HTTP: errors that say what to do. The dev-mode admin API
 * names ROOT_API_KEY; a body sent without `Content-Type: application/json` is a 400 naming the
 * content type; a typo'd field is named with the field it looks like, while OpenViking's accepted
 * fields still pass, and in a valid body it is ignored with a warning; an invalid context_type lists the allowed values; `GET /` is not a bare 404.
 */
import request from 'supertest';
import { z } from 'zod';
import { expectErrorEnvelope, makeApp, removeDir, type TestApp } from '../helpers/http-app.js';
import { fullApp, type Client, type FullApp } from '../helpers/full-app.js';

let dev: TestApp;
let full: FullApp;
let alice: Client;

beforeAll(async () => {
  dev = await makeApp({ env: { ROOT_API_KEY: '' } });
  full = await fullApp({ accounts: [{ account_id: 'acme', users: ['alice'] }] });
  alice = full.client({ account: 'acme', user: 'alice' });
});
afterAll(async () => {
  await removeDir(dev.dataDir);
  await full.close();
});

test('in dev mode the admin API says to set ROOT_API_KEY and how', async () => {
  const res = await request(dev.app)
    .post('/api/v1/admin/accounts')
    .send({ account_id: 'acme', admin_user_id: 'alice' });
  expect(res.status).toBe(403);
  const error = expectErrorEnvelope(res.body, 'PERMISSION_DENIED');
  expect(error.message).toContain('ROOT_API_KEY=<a long secret> npm start');
  expect(error.details).toEqual({ hint: 'set ROOT_API_KEY' });
});

test('a body without Content-Type: application/json is a 400 naming the content type', async () => {
  // What `curl -d '{"query": "x"}'` sends.
  const form = await alice
    .post('/api/v1/search/find')
    .set('Content-Type', 'application/x-www-form-urlencoded')
    .send('{"query": "wombat"}');
  expect(form.status).toBe(400);
  const error = expectErrorEnvelope(form.body, 'INVALID_ARGUMENT');
  expect(error.message).toContain("got Content-Type 'application/x-www-form-urlencoded'");
  expect(error.message).toContain('Content-Type: application/json');
  expect(error.details).toEqual({ type: 'application/x-www-form-urlencoded' });
  const text = await alice.post('/api/v1/search/find').set('Content-Type', 'text/plain').send('wombat');
  expect([text.status, expectErrorEnvelope(text.body, 'INVALID_ARGUMENT').details]).toEqual([
    400,
    { type: 'text/plain' },
  ]);
  // JSON (with a charset) and bodiless requests go on as before.
  const json = await alice
    .post('/api/v1/search/find')
    .set('Content-Type', 'application/json; charset=utf-8')
    .send(JSON.stringify({ query: 'wombat' }));
  expect(json.status).toBe(200);
  expect((await alice.get('/api/v1/fs/ls').query({ uri: 'viking://resources' })).status).toBe(200);
});

test("a typo'd field is named with the field it looks like; OpenViking's ignored fields still pass", async () => {
  const typo = await alice.post('/api/v1/search/find').send({ q: 'wombat' });
  expect(typo.status).toBe(400);
  const error = expectErrorEnvelope(typo.body, 'INVALID_ARGUMENT');
  expect(error.message).toBe("invalid request (unknown field 'q')");
  expect(error.details).toEqual({
    fields: [
      { field: 'query', message: expect.any(String) },
      { field: 'q', message: "unknown field; did you mean 'query'?" },
    ],
  });
  const limt = await alice.post('/api/v1/search/find').send({ limt: 3 });
  expect(expectErrorEnvelope(limt.body, 'INVALID_ARGUMENT').details).toMatchObject({
    fields: expect.arrayContaining([{ field: 'limt', message: "unknown field; did you mean 'limit'?" }]),
  });
  const openviking = await alice
    .post('/api/v1/search/find')
    .send({ query: 'wombat', telemetry: true, tags: ['a'], filter: null, include_provenance: true });
  expect(openviking.status).toBe(200);
});

const warningsOf = (res: { body: unknown }) =>
  z.object({ warnings: z.array(z.string()).optional() }).parse(res.body).warnings;

test("a valid body's typo'd optional field is answered with a warning naming the field it looks like", async () => {
  const limt = await alice.post('/api/v1/search/find').send({ query: 'wombat', limt: 5 });
  expect(limt.status).toBe(200);
  expect(limt.body).toMatchObject({ status: 'ok', error: null });
  expect(warningsOf(limt)).toEqual(["unknown field 'limt' ignored; did you mean 'limit'?"]);
  const treshold = await alice.post('/api/v1/search/search').send({ query: 'wombat', score_treshold: 0.5 });
  expect([treshold.status, warningsOf(treshold)]).toEqual([
    200,
    ["unknown field 'score_treshold' ignored; did you mean 'score_threshold'?"],
  ]);
  const write = await alice
    .post('/api/v1/content/write')
    .send({ uri: 'viking://resources/typo.md', content: 'x', mdoe: 'append' });
  expect([write.status, warningsOf(write)]).toEqual([
    200,
    ["unknown field 'mdoe' ignored; did you mean 'mode'?"],
  ]);
  // A field that looks like nothing known stays quiet; so does every field OpenViking's FindRequest and
  // SearchRequest send (openviking/server/routers/search.py), known here or not.
  const quiet = await alice.post('/api/v1/search/search').send({
    query: 'wombat',
    target_uri: '',
    session_id: null,
    limit: 3,
    node_limit: null,
    score_threshold: null,
    filter: null,
    include_provenance: false,
    since: null,
    until: null,
    time_field: null,
    telemetry: false,
    xyzzy_plugh: 1,
  });
  expect(quiet.status).toBe(200);
  expect(quiet.body).not.toHaveProperty('warnings');
  // The exemption is by name, wherever the field is sent: `to` (OpenViking's add_resource field) is
  // one edit from mv's `to_uri` and still says nothing.
  const mv = await alice
    .post('/api/v1/fs/mv')
    .send({ from_uri: 'viking://resources/typo.md', to_uri: 'viking://resources/typo2.md', to: null });
  expect(mv.status).toBe(200);
  expect(mv.body).not.toHaveProperty('warnings');
});

test('an invalid context_type lists the allowed values', async () => {
  const res = await alice.post('/api/v1/search/find').send({ query: 'wombat', context_type: 'resources' });
  expect(res.status).toBe(400);
  expect(expectErrorEnvelope(res.body, 'INVALID_ARGUMENT').details).toEqual({
    fields: [
      {
        field: 'context_type',
        message: "expected one of 'resource', 'memory', 'skill', 'session', or a list of them",
      },
    ],
  });
});

test('GET / sends a browser to the console and answers other clients with an index', async () => {
  const browser = await request(dev.app).get('/').set('Accept', 'text/html,application/xhtml+xml,*/*;q=0.8');
  expect([browser.status, browser.headers['location']]).toEqual([302, '/console/']);
  const curl = await request(dev.app).get('/').set('Accept', '*/*');
  expect(curl.status).toBe(200);
  expect(curl.body).toMatchObject({ console: '/console/', docs: '/docs', openapi: '/openapi.json' });
});
