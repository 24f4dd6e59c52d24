/**
 * Distributed mode's faults (issue 24, SPEC 14) on real processes: a member killed with SIGKILL during
 * a write load loses no acknowledged write, the others keep answering and finish its index jobs, and it
 * rejoins on restart; PostgreSQL cut off (a proxy in front of it resets every connection and refuses
 * new ones — the machine's PostgreSQL itself keeps running for the other test files) makes writes
 * answer 503 with Retry-After, never 500, and the members recover by themselves once it is back.
 */
import { jest } from '@jest/globals';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { call, createWorld, eventually, found, ok, startTestCluster, type TestCluster } from './world.js';

jest.setTimeout(600_000);

/**
 * Writes `count` files round-robin over the members, `concurrency` at a time; `during(first)` runs
 * while each wave's requests are in flight (a member killed then has writes open). The URIs
 * acknowledged, and every answer's status (0: the connection was refused or reset).
 */
async function writeLoad(
  urls: readonly string[],
  key: string,
  prefix: string,
  count: number,
  options: { concurrency?: number; during?: (first: number) => Promise<void> } = {},
): Promise<{ acked: string[]; statuses: number[] }> {
  const acked: string[] = [];
  const statuses: number[] = [];
  const concurrency = options.concurrency ?? 1;
  for (let first = 0; first < count; first += concurrency) {
    const wave = Array.from({ length: Math.min(concurrency, count - first) }, (_, j) => {
      const i = first + j;
      const uri = `viking://resources/load/${prefix}-${i}.md`;
      const content = `${prefix} marmot ${i}`;
      return call(urls[i % urls.length] ?? '', key, 'POST', '/content/write', { uri, content }).then(
        (answer) => ({ uri, answer }),
      );
    });
    await options.during?.(first);
    for (const { uri, answer } of await Promise.all(wave)) {
      statuses.push(answer.status);
      if (answer.status === 200) acked.push(uri);
    }
  }
  return { acked, statuses };
}

describe('a member killed with SIGKILL during a write load', () => {
  let t: TestCluster;
  beforeAll(async () => {
    t = await startTestCluster(3, { env: { INDEX_JOB_LEASE_S: '3' } });
  });
  afterAll(async () => {
    await t?.close();
  });

  test('loses no acknowledged write; the others answer, finish its jobs, and it rejoins', async () => {
    const urls = t.cluster.urls;
    const keys = await createWorld(urls[0] ?? '');
    const victim = t.cluster.members[1];
    if (victim === undefined) throw new Error('no member 1');
    // Six writes in flight at a time, two on each member: the kill lands while the victim has some open.
    const { acked, statuses } = await writeLoad(urls, keys.alice, 'kill', 60, {
      concurrency: 6,
      during: async (first) => {
        if (first === 24) await victim.stop('SIGKILL');
      },
    });
    // Only the dead member's share failed, and only by a refused or reset connection, never a 500.
    expect(statuses.filter((s) => s !== 200 && s !== 0)).toEqual([]);
    expect(acked.length).toBeGreaterThanOrEqual(60 - 12);
    for (const base of [urls[0] ?? '', urls[2] ?? '']) {
      await eventually(
        `every acknowledged write findable on ${base}`,
        async () => {
          const uris = await found(base, keys.alice, 'marmot');
          return acked.every((u) => uris.has(u));
        },
        60_000,
      );
    }
    await victim.start();
    await eventually(
      'the restarted member finds every acknowledged write',
      async () => {
        const uris = await found(victim.url, keys.alice, 'marmot');
        return acked.every((u) => uris.has(u));
      },
      60_000,
    );
    const status = await ok<{ index?: { queue_depth?: number } }>(
      call(victim.url, keys.alice, 'GET', '/system/status'),
    );
    expect(status.index?.queue_depth ?? 0).toBe(0);
  });
});

describe('PostgreSQL cut off during a write load', () => {
  let t: TestCluster;
  let proxy: TcpProxy;
  beforeAll(async () => {
    proxy = await startTcpProxy({ host: '127.0.0.1', port: 5432 });
    t = await startTestCluster(2, {
      databaseUrl: (db) => db.url.replace(/:5432\//, `:${proxy.port}/`),
    });
  });
  afterAll(async () => {
    await t?.close();
    await proxy?.close();
  });

  test('writes answer 503 with Retry-After while it is down, and succeed again once it is back', async () => {
    const urls = t.cluster.urls;
    const keys = await createWorld(urls[0] ?? '');
    const before = await writeLoad(urls, keys.alice, 'before', 10);
    expect(before.statuses.every((s) => s === 200)).toBe(true);
    proxy.down();
    const down = await Promise.all(
      urls.map((base) =>
        call(base, keys.alice, 'POST', '/content/write', {
          uri: 'viking://resources/load/down.md',
          content: 'x',
        }),
      ),
    );
    for (const answer of down) {
      expect(answer.status).toBe(503);
      expect(answer.headers.get('retry-after')).toMatch(/^\d+$/);
    }
    const ready = await fetch(`${urls[0]}/ready`);
    expect(ready.status).toBe(503);
    proxy.up();
    await eventually(
      'writes succeed again on every member',
      async () => {
        const answers = await Promise.all(
          urls.map((base, i) =>
            call(base, keys.alice, 'POST', '/content/write', {
              uri: `viking://resources/load/after-${i}.md`,
              content: 'after marmot',
            }),
          ),
        );
        return answers.every((a) => a.status === 200);
      },
      30_000,
    );
    for (const base of urls) {
      await eventually(
        `the writes acknowledged before the cut are found on ${base}`,
        async () => {
          const uris = await found(base, keys.alice, 'marmot');
          return before.acked.every((u) => uris.has(u));
        },
        30_000,
      );
    }
  });
});
