/**
 * Wire compatibility with OpenViking's HTTP clients: each test sends a request exactly as
 * OpenViking's Python client (openviking_cli/client/http.py) or its OpenClaw plugin
 * (examples/openclaw-plugin/client.ts) builds it, through the fully wired app, and reads the
 * response fields those clients read.
 */
import { errorCodeOf, fullApp, type Client, type FullApp } from '../helpers/full-app.js';

let t: FullApp;
let alice: Client;

beforeAll(async () => {
  t = await fullApp({ accounts: [{ account_id: 'acme', users: ['alice'] }] });
  alice = t.client({ account: 'acme', user: 'alice', agent: 'bot' });
});
afterAll(() => t.close());

describe('GET /api/v1/system/status (openviking/server/routers/system.py)', () => {
  test('reports the caller as `user`, which the OpenClaw plugin reads to build canonical roots', async () => {
    const res = await alice.get('/api/v1/system/status').expect(200);
    expect(res.body.result).toMatchObject({ initialized: true, user: 'alice' });
  });
});
