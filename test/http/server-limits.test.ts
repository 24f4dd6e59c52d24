/**
 * The listening server's limits (src/http/server.ts): a client that sends its body too slowly gets
 * 408 and its socket is closed after REQUEST_TIMEOUT_S instead of holding it for minutes, an idle
 * keep-alive socket is closed after KEEPALIVE_TIMEOUT_S, MAX_CONNECTIONS caps open sockets,
 * MAX_CONNECTIONS_PER_CLIENT caps one client's sockets (others are still served), and a new
 * connection must send its first request's headers within FIRST_REQUEST_TIMEOUT_S.
 */
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { listen, type Served } from '../../src/http/server.js';

const LIMITS = {
  requestTimeoutMs: 600,
  headersTimeoutMs: 600,
  keepAliveTimeoutMs: 400,
  maxConnections: 2,
  maxConnectionsPerClient: 100,
  firstRequestTimeoutMs: 600,
};

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

interface Client {
  readonly socket: Socket;
  received(): string;
  /** Resolves with the ms between opening and closing. */
  readonly closed: Promise<number>;
}

/** A raw socket, with everything it receives and the time it was closed (ms after opening). */
function open(to = port, localAddress = '127.0.0.1'): Promise<Client> {
  const started = Date.now();
  const socket = connect({ port: to, host: '127.0.0.1', localAddress });
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

describe('per-client connections and the first request deadline', () => {
  let guarded: Served;
  let guardedPort: number;
  beforeAll(async () => {
    const app = express();
    app.get('/hello', (_req, res) => void res.send('hello'));
    const limits = {
      ...LIMITS,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 10_000,
      keepAliveTimeoutMs: 5_000,
      maxConnections: 100,
      maxConnectionsPerClient: 3,
      firstRequestTimeoutMs: 400,
    };
    guarded = await listen(app, limits, 0, '127.0.0.1');
    guardedPort = (guarded.server.address() as AddressInfo).port;
  });
  afterAll(() => guarded.drain(1000));

  test("a client's connections beyond its cap are closed; another client is still served", async () => {
    // Three sockets holding unfinished headers: the attacker's whole allowance.
    const held = [await open(guardedPort), await open(guardedPort), await open(guardedPort)];
    for (const h of held) h.socket.write('GET /hello HTTP/1.1\r\nHost: x\r\n');
    const extra = await open(guardedPort);
    extra.socket.write('GET /hello HTTP/1.1\r\nHost: x\r\n\r\n');
    await extra.closed;
    expect(extra.received()).toBe('');
    // 127.0.0.2 is another client (loopback covers 127/8 on Linux).
    const other = await open(guardedPort, '127.0.0.2');
    other.socket.write('GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    await other.closed;
    expect(other.received()).toMatch(/^HTTP\/1\.1 200[\s\S]*hello$/);
    for (const h of held) h.socket.destroy();
    await Promise.all(held.map((h) => h.closed));
  });

  test('a new connection that does not finish its first headers in time is closed long before the headers timeout', async () => {
    const silent = await open(guardedPort);
    const partial = await open(guardedPort);
    partial.socket.write('GET /hello HTTP/1.1\r\nHost: x\r\n');
    // The headers timeout is 10 s; the first-request deadline 0.4 s.
    expect(await silent.closed).toBeLessThan(5000);
    expect(await partial.closed).toBeLessThan(5000);
    expect(partial.received()).toBe('');
    // A connection that sent its request in time is served, and may stay open for the next one.
    const prompt = await open(guardedPort);
    prompt.socket.write('GET /hello HTTP/1.1\r\nHost: x\r\n\r\n');
    while (!/hello$/.test(prompt.received())) await new Promise((resolve) => setTimeout(resolve, 20));
    // Past the first-request deadline: it applies to a connection's first request only.
    await new Promise((resolve) => setTimeout(resolve, 600));
    prompt.socket.write('GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    await prompt.closed;
    expect(prompt.received().match(/HTTP\/1\.1 200/g)).toHaveLength(2);
  });
});
