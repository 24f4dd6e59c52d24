/**
 * The stdio entry (`npx vikingscope-mcp`) for desktop clients: spawned by the SDK's stdio client
 * transport, configured only by VIKINGSCOPE_URL and VIKINGSCOPE_API_KEY, it relays to /mcp of a
 * server listening on a local port and acts as that key's identity.
 */
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { fullApp, ROOT_KEY, type FullApp } from '../helpers/full-app.js';
import { callOk, call, connect, listen, type Listening } from '../helpers/mcp.js';

const ROOT_DIR = fileURLToPath(new URL('../..', import.meta.url));

let env: FullApp;
let server: Listening;
const clients: Client[] = [];

function stdioClient(
  command: string,
  args: string[],
  key: string,
  extra: Record<string, string> = {},
): Promise<Client> {
  const transport = new StdioClientTransport({
    command,
    args,
    cwd: ROOT_DIR,
    env: { ...getDefaultEnvironment(), VIKINGSCOPE_URL: server.url, VIKINGSCOPE_API_KEY: key, ...extra },
    stderr: 'pipe',
  });
  return connect(transport).then((client) => {
    clients.push(client);
    return client;
  });
}

function keyOf(user: string): string {
  return env.keys.get(`acme/${user}`) ?? '';
}

beforeAll(async () => {
  env = await fullApp({ accounts: [{ account_id: 'acme', users: ['alice', 'bob'] }] });
  server = await listen(env.app);
  await env
    .client({ account: 'acme', user: 'alice' })
    .post('/api/v1/content/write')
    .send({ uri: 'viking://user/memories/events/secret.md', content: 'alice only' })
    .expect(200);
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await server.close();
  await env.close();
});

test('npx vikingscope-mcp lists the tools and reads as the key holder', async () => {
  const alice = await stdioClient('npx', ['--offline', '--no', 'vikingscope-mcp'], keyOf('alice'));
  const { tools } = await alice.listTools();
  expect(tools.map((t) => t.name)).toEqual(
    expect.arrayContaining(['find', 'read', 'remember', 'add_message']),
  );
  expect(await callOk(alice, 'read', { uri: 'viking://user/memories/events/secret.md' })).toBe('alice only');
});

test("another key's identity is kept: bob cannot read alice's memory", async () => {
  const bob = await stdioClient(process.execPath, ['bin/vikingscope-mcp.mjs'], keyOf('bob'));
  expect(await call(bob, 'read', { uri: 'viking://user/alice/memories/events/secret.md' })).toMatchObject({
    ok: false,
    error: { code: 'PERMISSION_DENIED' },
  });
});

test('a wrong key fails the handshake with the server’s reason', async () => {
  await expect(stdioClient(process.execPath, ['bin/vikingscope-mcp.mjs'], 'f'.repeat(64))).rejects.toThrow(
    /UNAUTHENTICATED/,
  );
});

// Issue 28: the relay's errors say what to do.
test('an unreachable server is named by its URL', async () => {
  // A port that was free a moment ago: nothing listens there.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  const unreachable = { VIKINGSCOPE_URL: `http://127.0.0.1:${port}` };
  await expect(
    stdioClient(process.execPath, ['bin/vikingscope-mcp.mjs'], keyOf('alice'), unreachable),
  ).rejects.toThrow(`cannot reach the VikingScope server at http://127.0.0.1:${port}/mcp (ECONNREFUSED)`);
});

test('ROOT without an identity is told to set VIKINGSCOPE_ACCOUNT and VIKINGSCOPE_USER', async () => {
  await expect(stdioClient(process.execPath, ['bin/vikingscope-mcp.mjs'], ROOT_KEY)).rejects.toThrow(
    /set VIKINGSCOPE_ACCOUNT and VIKINGSCOPE_USER|VIKINGSCOPE_ACCOUNT and VIKINGSCOPE_USER as these headers/,
  );
});
