/**
 * Per-request waits and backpressure on the real pipeline (SPEC 9.3): a wait covers its own jobs
 * only, fails when its job was dropped or its timeout passed, and writes are refused while the lag
 * is over the bound. A gated embedder holds one tenant's content in the worker.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { canonicalUri } from '../../src/policy/index.js';
import { GatedEmbedder } from '../helpers/gated-embedder.js';
import { IndexFixture } from '../helpers/index-fixture.js';

let f: IndexFixture;
let gated: GatedEmbedder;

beforeEach(() => {
  f = new IndexFixture();
  gated = new GatedEmbedder();
});

afterEach(async () => {
  for (const token of ['fastgate', 'slowgate', 'jamgate']) gated.open(token);
  await f.close();
});

/** Writes a file and enqueues its job; resolves with the job's tickets. */
async function written(account: string, uri: string, content: string) {
  await f.write(account, uri, content);
  return f.pipeline.fileWritten(account, canonicalUri(uri));
}

test("a wait returns after its own job while another account's job is still queued", async () => {
  await f.start({ embedder: gated });
  gated.close('fastgate');
  gated.close('slowgate');
  const mine = await written('acme', 'viking://resources/mine.md', 'fastgate mine');
  await gated.reached('fastgate');
  // Queued behind acme's batch, and held in the worker once its turn comes.
  await written('other', 'viking://resources/theirs.md', 'slowgate theirs');
  const waited = f.pipeline.waitFor(mine, 60_000);
  gated.open('fastgate');
  await waited;
  await gated.reached('slowgate');
  expect((await f.pipeline.status()).queue_depth).toBe(1);
  expect((await f.rows('acme')).map((r) => r.uri)).toEqual(['viking://resources/mine.md']);
  await f.pipeline.waitForAccount('acme', 60_000);
  await expect(f.pipeline.waitForAccount('other', 20)).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
  await expect(f.pipeline.waitForAccount(null, 20)).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
  gated.open('slowgate');
  await f.pipeline.waitForAccount(null, 60_000);
  expect(await f.rows('other')).toHaveLength(1);
});

test('a wait on a dropped job fails with INTERNAL naming its URI; the rest of the batch is applied', async () => {
  await f.start();
  f.failing.add('broken');
  const bad = await written('broken', 'viking://resources/b.md', 'cannot index');
  const good = await written('acme', 'viking://resources/ok.md', 'can index');
  await expect(f.pipeline.waitFor([...bad, ...good], 60_000)).rejects.toMatchObject({
    code: 'INTERNAL',
    details: { uri: 'viking://resources/b.md' },
  });
  await f.pipeline.waitFor(good, 60_000);
  // Asked after the job already failed: still an error.
  await expect(f.pipeline.waitFor(bad, 60_000)).rejects.toMatchObject({ code: 'INTERNAL' });
  expect((await f.pipeline.status()).failed_jobs).toBe(1);
});

test('one poisoned job in a large batch is isolated: every other job is applied', async () => {
  await f.start({ embedder: gated });
  gated.poison('poisontoken');
  gated.close('jamgate');
  // Hold the worker so the next 40 jobs land in one batch.
  await written('acme', 'viking://resources/jam.md', 'jamgate');
  await gated.reached('jamgate');
  const uris = Array.from({ length: 40 }, (_, i) => `viking://resources/many/f${i}.md`);
  const tickets = await Promise.all(
    uris.map((uri, i) => written('acme', uri, i === 17 ? 'poisontoken' : `file ${i}`)),
  );
  gated.open('jamgate');
  await f.pipeline.waitIdle();
  const indexed = new Set((await f.rows('acme')).map((r) => r.uri));
  expect(uris.filter((uri) => !indexed.has(uri))).toEqual([uris[17]]);
  expect((await f.pipeline.status()).failed_jobs).toBe(1);
  await expect(f.pipeline.waitFor(tickets[17] ?? [], 1000)).rejects.toMatchObject({ code: 'INTERNAL' });
  await f.pipeline.waitFor(tickets[16] ?? [], 1000);
});

test('a wait past its timeout fails with DEADLINE_EXCEEDED; the job is still applied later', async () => {
  await f.start({ embedder: gated });
  gated.close('slowgate');
  const tickets = await written('acme', 'viking://resources/slow.md', 'slowgate');
  await expect(f.pipeline.waitFor(tickets, 20)).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
  gated.open('slowgate');
  await f.pipeline.waitFor(tickets, 60_000);
  expect(await f.rows('acme')).toHaveLength(1);
});

test('writes are refused while the lag is over the bound, and admitted again once the queue drains', async () => {
  await f.start({ embedder: gated, maxLagS: 0.05 });
  f.pipeline.admit('acme');
  gated.close('jamgate');
  await written('acme', 'viking://resources/jam.md', 'jamgate');
  await gated.reached('jamgate');
  while ((await f.pipeline.status()).index_lag_s <= 0.05) await sleep(10);
  let refused: unknown;
  try {
    f.pipeline.admit('acme');
  } catch (error) {
    refused = error;
  }
  expect(refused).toMatchObject({ code: 'RESOURCE_EXHAUSTED', details: { retry_after_s: 1 } });
  gated.open('jamgate');
  await f.pipeline.waitIdle();
  expect((await f.pipeline.status()).index_lag_s).toBe(0);
  expect(() => f.pipeline.admit('acme')).not.toThrow();
});
