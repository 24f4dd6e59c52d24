import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { fetchUrl } from './fetch-url.js';

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? '/';
    if (path === '/doc.md') {
      res.setHeader('content-type', 'text/markdown; charset=utf-8');
      res.end('# Doc\n');
    } else if (path.startsWith('/hop/')) {
      const n = Number(path.slice(5));
      res.statusCode = 302;
      res.setHeader('location', n === 0 ? '/doc.md' : `/hop/${n - 1}`);
      res.end();
    } else if (path === '/big') {
      res.write(Buffer.alloc(600, 97)); // chunked: no content-length
      res.end(Buffer.alloc(600, 97));
    } else if (path === '/declared-big') {
      res.setHeader('content-length', '5000');
      res.end(Buffer.alloc(5000, 97));
    } else if (path === '/slow') {
      res.write('a'); // never ends
    } else {
      res.statusCode = 404;
      res.end('nope');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const open = { maxBytes: 1000, allowPrivate: true };

test('downloads a document, following redirects, with its media type', async () => {
  const fetched = await fetchUrl(`${base}/hop/3`, open);
  expect(fetched).toMatchObject({ contentType: 'text/markdown', url: `${base}/doc.md` });
  expect(fetched.data.toString()).toBe('# Doc\n');
});

test.each([
  ['/hop/9', 'INVALID_ARGUMENT', 'too many redirects'],
  ['/missing', 'INVALID_ARGUMENT', 'HTTP 404'],
  ['/big', 'PAYLOAD_TOO_LARGE', 'at most 1000 bytes'],
  ['/declared-big', 'PAYLOAD_TOO_LARGE', 'at most 1000 bytes'],
])('%s fails with %s', async (path, code, message) => {
  const failure = fetchUrl(`${base}${path}`, open);
  await expect(failure).rejects.toMatchObject({ code });
  await expect(fetchUrl(`${base}${path}`, open)).rejects.toThrow(message);
});

test('a remote that never finishes hits the deadline', async () => {
  await expect(fetchUrl(`${base}/slow`, { ...open, timeoutMs: 300 })).rejects.toMatchObject({
    code: 'DEADLINE_EXCEEDED',
  });
});

test.each(['ftp://example.com/x', 'file:///etc/passwd', 'http://user:pw@example.com/', 'not a url'])(
  '%s is not fetched (400)',
  async (url) => {
    await expect(fetchUrl(url, open)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  },
);

test('without ALLOW_PRIVATE_URLS loopback targets are refused, by literal and by resolved name', async () => {
  const port = (server.address() as AddressInfo).port;
  const closed = { maxBytes: 1000, allowPrivate: false };
  for (const url of [`${base}/doc.md`, `http://localhost:${port}/doc.md`, `http://[::1]:${port}/doc.md`]) {
    await expect(fetchUrl(url, closed)).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
  }
});

test('a refused target does not say what the host name resolves to', async () => {
  const port = (server.address() as AddressInfo).port;
  const closed = { maxBytes: 1000, allowPrivate: false };
  const failure = await fetchUrl(`http://localhost:${port}/doc.md`, closed).catch((e: unknown) => e);
  expect(failure).toMatchObject({ code: 'PERMISSION_DENIED', details: { host: 'localhost' } });
  expect(JSON.stringify(failure)).not.toMatch(/127\.0\.0\.1|::1/);
  expect((failure as { details: object }).details).not.toHaveProperty('address');
});

test('a body cut off by the deadline (no Content-Length, close-delimited) fails with 504, never returns', async () => {
  // HTTP/1.0-style answer: the body ends when the connection closes, so only the deadline ends it.
  const sockets = new Set<Socket>();
  const dripper = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('data', () => {
      socket.write('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\npartial');
      const timer = setInterval(() => socket.write('.'), 20);
      socket.on('close', () => clearInterval(timer));
    });
  });
  await new Promise<void>((resolve) => dripper.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(dripper.address() as AddressInfo).port}/drip`;
    await expect(fetchUrl(url, { ...open, timeoutMs: 300 })).rejects.toMatchObject({
      code: 'DEADLINE_EXCEEDED',
    });
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => dripper.close(resolve));
  }
});

test('a chunked body the remote abandons half-way fails, never returns', async () => {
  const aborting = createTcpServer((socket) => {
    socket.on('error', () => undefined);
    socket.once('data', () => {
      socket.end('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n7\r\npartial\r\n');
    });
  });
  await new Promise<void>((resolve) => aborting.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(aborting.address() as AddressInfo).port}/cut`;
    await expect(fetchUrl(url, open)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  } finally {
    await new Promise((resolve) => aborting.close(resolve));
  }
});
