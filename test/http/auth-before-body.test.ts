/**
 * Issue 23, item 6: a request is authenticated from its headers before a byte of its body is read
 * (so a caller without a key cannot make the server read or parse megabytes), and an authenticated
 * caller's JSON is bounded: 1 MiB on routes that carry no content, and at most so many keys, values
 * and levels of nesting (src/http/json-bounds.ts) before JSON.parse builds anything.
 */
import { connect, type AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { errorCodeOf, fullApp, type FullApp } from '../helpers/full-app.js';

let full: FullApp;
let server: Server;
let port: number;

beforeAll(async () => {
  full = await fullApp({ accounts: [{ account_id: 'acme', users: ['alice'] }] });
  server = full.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await full.close();
});

/**
 * Sends `head` and only the first bytes of a body announced as 10 MB, then waits for an answer (the
 * rest is never sent, so any answer was given without reading the body); null if none in 5 s.
 */
async function answerWithoutBody(head: string): Promise<string | null> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
  socket.write(`${head}Content-Length: 10000000\r\n\r\n{"a":`);
  const answered = new Promise<string>((resolve) => {
    socket.on('data', () => {
      if (text.includes('\r\n\r\n')) resolve(text);
    });
  });
  const timeout = new Promise<null>((resolve) => setTimeout(() => resolve(null), 5000).unref());
  try {
    return await Promise.race([answered, timeout]);
  } finally {
    socket.destroy();
  }
}

test.each([
  ['/api/v1/content/write', 'application/json'],
  ['/api/v1/search/find', 'application/json'],
  ['/mcp', 'application/json'],
  ['/api/v1/resources/temp_upload', 'multipart/form-data; boundary=x'],
])('POST %s without a key gets its 401 before the body is sent', async (path, type) => {
  const answer = await answerWithoutBody(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: ${type}\r\n`);
  expect(answer).toMatch(/^HTTP\/1\.1 401 /);
  expect(answer).toMatch(/connection: close/i);
});

test('a wrong key is refused before the body too', async () => {
  const head =
    'POST /api/v1/content/write HTTP/1.1\r\nHost: x\r\nX-API-Key: wrong\r\nContent-Type: application/json\r\n';
  expect(await answerWithoutBody(head)).toMatch(/^HTTP\/1\.1 401 /);
});

test('an authenticated JSON body with too many keys or too deep nesting is a 400 naming the bound', async () => {
  const alice = full.client({ account: 'acme', user: 'alice' });
  const keys = `{${Array.from({ length: 30_000 }, (_, i) => `"k${i}":1`).join(',')}}`;
  const wide = await alice.post('/api/v1/sessions').set('Content-Type', 'application/json').send(keys);
  expect(wide.status).toBe(400);
  expect(wide.body).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
  expect(JSON.stringify(wide.body)).toContain('20000 object keys');
  const deep = `{"query":${'['.repeat(100)}${']'.repeat(100)}}`;
  const nested = await alice.post('/api/v1/search/find').set('Content-Type', 'application/json').send(deep);
  expect(nested.status).toBe(400);
  expect(JSON.stringify(nested.body)).toContain('64 levels of nesting');
  // Keys inside strings are not structure: a long text with colons and commas passes.
  const text = 'a:b,c{['.repeat(50_000);
  const write = await alice
    .post('/api/v1/content/write')
    .send({ uri: 'viking://resources/colons.md', content: text });
  expect(write.status).toBe(200);
});

test('routes without content take 1 MiB of JSON; content routes take MAX_BODY_BYTES', async () => {
  const alice = full.client({ account: 'acme', user: 'alice' });
  const big = 'x'.repeat(2 * 1024 * 1024);
  const search = await alice.post('/api/v1/search/find').send({ query: big });
  expect(search.status).toBe(413);
  expect(errorCodeOf(search)).toBe('PAYLOAD_TOO_LARGE');
  const write = await alice
    .post('/api/v1/content/write')
    .send({ uri: 'viking://resources/big.md', content: big });
  expect(write.status).toBe(200);
});
