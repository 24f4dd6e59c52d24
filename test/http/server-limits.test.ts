/**
 * The listening server's limits (src/http/server.ts): a client that sends its body too slowly gets
 * 408 and its socket is closed after REQUEST_TIMEOUT_S instead of holding it for minutes, an idle
 * keep-alive socket is closed after KEEPALIVE_TIMEOUT_S, and MAX_CONNECTIONS caps open sockets.
 */
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { listen, type Served } from '../../src/http/server.js';

const LIMITS = { requestTimeoutMs: 600, headersTimeoutMs: 600, keepAliveTimeoutMs: 400, maxConnections: 2 };

let served: Served;
let port: number;

beforeAll(async () => {
  const app = express();
  app.use(express.text());
  app.post('/echo', (req, res) => void res.send(String(req.body)));
  app.get('/hello', (_req, res) => void res.send('hello'));
  served = await listen(app, LIMITS, 0, '127.0.0.1');
  port = (served.server.address() as AddressInfo).port;
});

afterAll(() => served.drain(1000));

/** A raw socket, with everything it receives and the time it was closed (ms after opening). */
function open(): Promise<{ socket: Socket; received: () => string; closed: Promise<number> }> {
  const started = Date.now();
  const socket = connect(port, '127.0.0.1');
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
  socket.on('error', () => undefined);
  const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(Date.now() - started)));
  return new Promise((resolve) =>
    socket.on('connect', () => resolve({ socket, received: () => text, closed })),
  );
}

test('a slow body is cut off with 408 after the request timeout', async () => {
  const client = await open();
  client.socket.write(
    'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n',
  );
  // One byte every 100 ms: never idle, but the whole body would take 100 s.
  const drip = setInterval(() => client.socket.writable && client.socket.write('a'), 100);
  try {
    const closedAfter = await client.closed;
    expect(client.received()).toMatch(/^HTTP\/1\.1 408/);
    // Far below the 100 s the body would take (node checks the deadline every ~150 ms here).
    expect(closedAfter).toBeLessThan(5000);
  } finally {
    clearInterval(drip);
  }
});

test('a complete request on time is answered, and the idle keep-alive socket is closed later', async () => {
  const client = await open();
  client.socket.write('GET /hello HTTP/1.1\r\nHost: x\r\n\r\n');
  const closedAfter = await client.closed;
  expect(client.received()).toMatch(/^HTTP\/1\.1 200[\s\S]*Connection: keep-alive[\s\S]*hello$/);
  expect(closedAfter).toBeLessThan(5000);
});

test('connections beyond MAX_CONNECTIONS are closed at once', async () => {
  const first = await open();
  const second = await open();
  const third = await open();
  third.socket.write('GET /hello HTTP/1.1\r\nHost: x\r\n\r\n');
  await third.closed;
  expect(third.received()).toBe('');
  first.socket.write('GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  await first.closed;
  expect(first.received()).toMatch(/^HTTP\/1\.1 200/);
  second.socket.destroy();
});
