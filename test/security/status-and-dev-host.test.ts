/**
 * Two side doors closed after the security review: system status shows non-ROOT callers only their
 * own account's volume, and dev mode (every request is ROOT) refuses requests to non-loopback hosts.
 */
import { connect, type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { fullApp } from '../helpers/full-app.js';
import { GatedEmbedder } from '../helpers/gated-embedder.js';
import { makeApp } from '../helpers/http-app.js';

test('status: ROOT sees the whole index, a user only its account and no failure counters', async () => {
  const t = await fullApp({ accounts: [{ account_id: 'acme', users: ['alice'] }, { account_id: 'globex' }] });
  try {
    const alice = t.client({ account: 'acme', user: 'alice' });
    const globex = t.client({ account: 'globex', user: 'admin' });
    for (const n of [1, 2, 3]) {
      await globex
        .post('/api/v1/content/write')
        .send({ uri: `viking://resources/g${n}.md`, content: 'g', wait: true });
    }
    await alice
      .post('/api/v1/content/write')
      .send({ uri: 'viking://resources/a.md', content: 'a', wait: true });
    const mine = (await alice.get('/api/v1/system/status').expect(200)).body as {
      result: Record<string, unknown>;
    };
    expect(mine.result['records']).toBe(1);
    expect(mine.result).not.toHaveProperty('integrity_errors');
    expect(mine.result).not.toHaveProperty('failed_jobs');
    expect(mine.result['embedder']).toMatchObject({ id: 'builtin:hash-v1-384' });
    const root = (await t.root().get('/api/v1/system/status').expect(200)).body as {
      result: Record<string, unknown>;
    };
    expect(root.result['records']).toBe(4);
    expect(root.result['integrity_errors']).toBe(0);
  } finally {
    await t.close();
  }
});

test("status: a user's queue_depth and index_lag_s are its account's, not another tenant's backlog", async () => {
  const gated = new GatedEmbedder();
  const t = await fullApp({
    accounts: [{ account_id: 'acme', users: ['alice'] }, { account_id: 'globex' }],
    embedder: gated,
  });
  try {
    gated.close('busygate');
    const globex = t.client({ account: 'globex', user: 'admin' });
    await globex
      .post('/api/v1/content/write')
      .send({ uri: 'viking://resources/busy.md', content: 'busygate' })
      .expect(200);
    await gated.reached('busygate');
    await globex.post('/api/v1/content/write').send({ uri: 'viking://resources/more.md', content: 'x' });
    await sleep(30);
    type Status = { result: { queue_depth: number; index_lag_s: number } };
    const root = (await t.root().get('/api/v1/system/status').expect(200)).body as Status;
    expect(root.result.queue_depth).toBeGreaterThanOrEqual(1);
    expect(root.result.index_lag_s).toBeGreaterThan(0);
    const alice = t.client({ account: 'acme', user: 'alice' });
    const mine = (await alice.get('/api/v1/system/status').expect(200)).body as Status;
    expect(mine.result).toMatchObject({ queue_depth: 0, index_lag_s: 0 });
    const theirs = (await globex.get('/api/v1/system/status').expect(200)).body as Status;
    expect(theirs.result.queue_depth).toBeGreaterThanOrEqual(1);
    expect(theirs.result.index_lag_s).toBeGreaterThan(0);
  } finally {
    gated.open('busygate');
    await t.close();
  }
});

test('dev mode answers loopback host names only (no DNS rebinding)', async () => {
  const t = await makeApp({ env: { ROOT_API_KEY: '' } });
  expect(t.config.authMode).toBe('dev');
  await request(t.app).get('/api/v1/system/status').set('Host', '127.0.0.1:1933').expect(200);
  await request(t.app).get('/api/v1/system/status').set('Host', 'localhost').expect(200);
  await request(t.app).get('/api/v1/system/status').set('Host', '[::1]:1933').expect(200);
  const evil = await request(t.app).get('/api/v1/system/status').set('Host', 'evil.example:1933');
  expect(evil.status).toBe(403);
  expect(evil.body).toMatchObject({ status: 'error', error: { code: 'PERMISSION_DENIED' } });
});

test('dev mode refuses cross-site simple requests (form, text/plain, multipart) and serves same-origin ones', async () => {
  const t = await makeApp({ env: { ROOT_API_KEY: '' } });
  const evil = 'http://evil.example';
  const post = () => request(t.app).post('/api/v1/probe/echo').set('Host', '127.0.0.1:1933');
  const attempts = [
    post().set('Origin', evil).set('Content-Type', 'text/plain').send('{"name":"x","count":1}'),
    post().set('Origin', evil).type('form').send({ name: 'x', count: '1' }),
    post().set('Origin', evil).attach('file', Buffer.from('x'), 'x.txt'),
    post().set('Origin', 'null').set('Content-Type', 'text/plain').send('x'),
    post().set('Origin', 'http://127.0.0.1:8080').set('Content-Type', 'text/plain').send('x'),
  ];
  for (const attempt of attempts) {
    const res = await attempt;
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ error: { code: 'PERMISSION_DENIED' } });
  }
  expect(t.contexts).toHaveLength(0);
  const same = await post().set('Origin', 'http://127.0.0.1:1933').send({ name: 'x', count: 1 });
  expect(same.status).toBe(200);
  const noOrigin = await post().send({ name: 'y', count: 2 });
  expect(noOrigin.status).toBe(200);
});

test('dev mode answers an HTTP/1.0 request without Host with 403, not 500', async () => {
  const t = await makeApp({ env: { ROOT_API_KEY: '' } });
  const server = t.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
    socket.write('GET /api/v1/system/status HTTP/1.0\r\n\r\n');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    await new Promise((resolve) => socket.on('close', resolve));
    const answer = Buffer.concat(chunks).toString();
    expect(answer).toMatch(/^HTTP\/1\.[01] 403 /);
    expect(answer).toContain('PERMISSION_DENIED');
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
