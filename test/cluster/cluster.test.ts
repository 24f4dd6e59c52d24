/**
 * Distributed mode's targets (issue 24, SPEC 14) on real processes: three servers on one PostgreSQL,
 * writes spread over all three, every identity finding exactly what it may read on every member, a
 * session appended from all three in one order, and the members started at once racing for the
 * migrations. Timing targets (1 s p99) are measured by scripts/bench-cluster.ts, not here.
 */
import { jest } from '@jest/globals';
import {
  call,
  createWorld,
  eventually,
  found,
  ok,
  ROOT_KEY,
  startTestCluster,
  type Keys,
  type TestCluster,
} from './world.js';

jest.setTimeout(300_000);

let t: TestCluster;
let urls: string[];
let keys: Keys;
const at = (i: number): string => urls[i % urls.length] ?? '';

beforeAll(async () => {
  // Started at once: three processes migrate one empty database concurrently.
  t = await startTestCluster(3, { together: true });
  urls = t.cluster.urls;
  keys = await createWorld(at(0));
});

afterAll(async () => {
  await t?.close();
});

test('a key made on one member works on the others; a rotated key stops working on all', async () => {
  const made = await ok<{ user_key: string }>(
    call(at(1), keys.alice, 'POST', '/admin/accounts/acme/users', { user_id: 'dave' }),
  );
  for (const i of [0, 2]) {
    await eventually(
      `dave's key on member ${i}`,
      async () => (await call(at(i), made.user_key, 'GET', '/system/status')).status === 200,
      5_000,
    );
  }
  await ok(call(at(2), keys.alice, 'POST', '/admin/accounts/acme/users/dave/key'));
  for (const i of [0, 1]) {
    await eventually(
      `dave's old key refused on member ${i}`,
      async () => (await call(at(i), made.user_key, 'GET', '/system/status')).status === 401,
      5_000,
    );
  }
});

test('writes on any member are found by exactly the identities that may read them, on every member', async () => {
  const expected = { alice: new Set<string>(), bob: new Set<string>(), carol: new Set<string>() };
  for (let i = 0; i < 9; i++) {
    const memory = `viking://user/alice/agent/default/memories/events/quasar-${i}.md`;
    const shared = `viking://resources/acme/quasar-${i}.md`;
    const beta = `viking://resources/beta/quasar-${i}.md`;
    await ok(
      call(at(i), keys.alice, 'POST', '/content/write', {
        uri: memory,
        content: `quasar alice private ${i}`,
        wait: true,
      }),
    );
    await ok(
      call(at(i + 1), keys.bob, 'POST', '/content/write', {
        uri: shared,
        content: `quasar acme shared ${i}`,
        wait: true,
      }),
    );
    await ok(
      call(at(i + 2), keys.carol, 'POST', '/content/write', {
        uri: beta,
        content: `quasar beta ${i}`,
        wait: true,
      }),
    );
    expected.alice.add(memory).add(shared);
    expected.bob.add(shared);
    expected.carol.add(beta);
  }
  for (const base of urls) {
    for (const who of ['alice', 'bob', 'carol'] as const) {
      await eventually(
        `${who} on ${base} finds exactly what it may read`,
        async () => {
          const uris = await found(base, keys[who], 'quasar');
          return uris.size === expected[who].size && [...uris].every((u) => expected[who].has(u));
        },
        15_000,
      );
    }
  }
  // Nobody else's content is ever among the hits, on any member (checked once more, all at once).
  for (const base of urls) {
    const bobs = await found(base, keys.bob, 'quasar');
    expect([...bobs].filter((u) => u.includes('/user/alice/') || u.includes('/beta/'))).toEqual([]);
    const carols = await found(base, keys.carol, 'quasar');
    expect([...carols].filter((u) => u.includes('/acme/') || u.includes('/user/'))).toEqual([]);
  }
});

test('a file written on one member is read on the others; create mode never overwrites across members', async () => {
  const uri = 'viking://resources/acme/plan.md';
  await ok(call(at(0), keys.alice, 'POST', '/content/write', { uri, content: 'first' }));
  for (const i of [1, 2]) {
    const read = await ok<string>(
      call(at(i), keys.bob, 'GET', `/content/read?uri=${encodeURIComponent(uri)}`),
    );
    expect(read).toBe('first');
  }
  const fresh = 'viking://resources/acme/race.md';
  const answers = await Promise.all(
    urls.map((base, i) =>
      call(base, keys.alice, 'POST', '/content/write', { uri: fresh, content: `from ${i}`, mode: 'create' }),
    ),
  );
  expect(answers.map((a) => a.status).sort()).toEqual([200, 409, 409]);
  const winner = answers.findIndex((a) => a.status === 200);
  expect(
    await ok<string>(call(at(2), keys.alice, 'GET', `/content/read?uri=${encodeURIComponent(fresh)}`)),
  ).toBe(`from ${winner}`);
});

test('appends to one session from all three members keep every message, in one order', async () => {
  const { session_id } = await ok<{ session_id: string }>(call(at(0), keys.alice, 'POST', '/sessions', {}));
  const sent = Array.from({ length: 30 }, (_, i) => `message ${i}`);
  await Promise.all(
    sent.map((content, i) =>
      ok(call(at(i), keys.alice, 'POST', `/sessions/${session_id}/messages`, { role: 'user', content })),
    ),
  );
  const orders = await Promise.all(
    urls.map(async (base) => {
      const context = await ok<{ messages: { parts: { text?: string }[] }[] }>(
        call(base, keys.alice, 'GET', `/sessions/${session_id}/context?token_budget=100000`),
      );
      return context.messages.map((m) => m.parts.map((p) => p.text ?? '').join(''));
    }),
  );
  expect([...(orders[0] ?? [])].sort()).toEqual([...sent].sort());
  expect(orders[1]).toEqual(orders[0]);
  expect(orders[2]).toEqual(orders[0]);
});

test('a deleted account is refused and never found on any member', async () => {
  await ok(
    call(at(1), keys.carol, 'POST', '/content/write', {
      uri: 'viking://resources/beta/zebracorp.md',
      content: 'zebracorp beta plan',
      wait: true,
    }),
  );
  await ok(call(at(2), ROOT_KEY, 'DELETE', '/admin/accounts/beta'));
  for (const base of urls) {
    await eventually(
      `carol refused on ${base}`,
      async () => (await call(base, keys.carol, 'GET', '/system/status')).status === 401,
      5_000,
    );
  }
  // The same name again, the same admin: none of the old tenant's records, on any member.
  const again = await ok<{ user_key: string }>(
    call(at(0), ROOT_KEY, 'POST', '/admin/accounts', { account_id: 'beta', admin_user_id: 'carol' }),
  );
  for (const base of urls) {
    await eventually(
      `the new carol's key on ${base}`,
      async () => (await call(base, again.user_key, 'GET', '/system/status')).status === 200,
      5_000,
    );
    expect([...(await found(base, again.user_key, 'zebracorp'))]).toEqual([]);
    expect([...(await found(base, again.user_key, 'quasar'))]).toEqual([]);
  }
});
