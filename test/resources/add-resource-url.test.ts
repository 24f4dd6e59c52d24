/**
 * add_resource from `http(s)://` URLs against a local HTTP server. Loopback targets are private, so
 * this app runs with ALLOW_PRIVATE_URLS=true (the refusal without it is in add-resource.test.ts).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { strToU8, zipSync } from 'fflate';
import { z } from 'zod';
import { errorCodeOf, fullApp, searchUris, type Client, type FullApp } from '../helpers/full-app.js';

let full: FullApp;
let alice: Client;
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const routes: Record<string, [string, string | Uint8Array]> = {
      '/docs/page': [
        'text/html; charset=utf-8',
        '<h1>Heron handbook</h1><p>The heronprotocol explained.</p>',
      ],
      '/notes.md': ['text/markdown', '# Crane notes\n\ncranetoken inside.\n'],
      '/bundle.zip': ['application/zip', zipSync({ 'egret/a.md': strToU8('egretword here') })],
      '/tool': ['application/octet-stream', new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0])],
    };
    const route = routes[req.url ?? ''];
    if (req.url === '/moved') {
      res.writeHead(301, { location: '/notes.md' }).end();
    } else if (route === undefined) {
      res.writeHead(404).end('missing');
    } else {
      res.writeHead(200, { 'content-type': route[0] }).end(route[1]);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  full = await fullApp({
    accounts: [{ account_id: 'acme', users: ['alice'] }],
    env: { ALLOW_PRIVATE_URLS: 'true' },
  });
  alice = full.client({ account: 'acme', user: 'alice' });
});
afterAll(async () => {
  await full.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const rootUriOf = (res: { status: number; body: unknown }): string => {
  if (res.status !== 200) throw new Error(`answered ${res.status}: ${JSON.stringify(res.body)}`);
  return z.object({ result: z.object({ root_uri: z.string() }) }).parse(res.body).result.root_uri;
};

test('an HTML page is fetched, converted to Markdown and searchable', async () => {
  const res = await alice.post('/api/v1/resources').send({ path: `${base}/docs/page`, wait: true });
  expect(rootUriOf(res)).toBe('viking://resources/page');
  const read = await alice.get('/api/v1/content/read').query({ uri: 'viking://resources/page/page.md' });
  expect(z.object({ result: z.string() }).parse(read.body).result).toBe(
    '# Heron handbook\n\nThe heronprotocol explained.\n',
  );
  expect(await searchUris(alice, { query: 'heronprotocol' })).toContain('viking://resources/page/page.md');
});

test('redirects are followed; parent and source_name place and name the resource', async () => {
  await alice.post('/api/v1/fs/mkdir').send({ uri: 'viking://resources/web' });
  const res = await alice
    .post('/api/v1/resources')
    .send({ path: `${base}/moved`, parent: 'viking://resources/web', source_name: 'crane.md', wait: true });
  expect(rootUriOf(res)).toBe('viking://resources/web/crane');
  expect(await searchUris(alice, { query: 'cranetoken' })).toContain('viking://resources/web/crane/crane.md');
});

test('a zip URL is imported as a folder', async () => {
  const res = await alice.post('/api/v1/resources').send({ path: `${base}/bundle.zip`, wait: true });
  expect(rootUriOf(res)).toBe('viking://resources/egret');
  expect(await searchUris(alice, { query: 'egretword' })).toContain('viking://resources/egret/a.md');
});

test('a missing page or a binary answer is a 400 naming the problem', async () => {
  const missing = await alice.post('/api/v1/resources').send({ path: `${base}/nope`, wait: true });
  expect([missing.status, errorCodeOf(missing)]).toEqual([400, 'INVALID_ARGUMENT']);
  expect(JSON.stringify(missing.body)).toContain('HTTP 404');
  const binary = await alice.post('/api/v1/resources').send({ path: `${base}/tool`, wait: true });
  expect(binary.status).toBe(400);
  expect(JSON.stringify(binary.body)).toContain('ELF executable');
});
