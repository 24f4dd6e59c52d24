/**
 * Issue 23 item 5: indexing a large file gives the event loop back as it goes. The built-in embedder
 * computes in-process and resolves at once, so without an explicit turn between slices a file's
 * thousands of chunks embedded in one block while every other tenant's request waited. A ticker that
 * advances once per turn of the event loop must move between any two embedder calls.
 */
import { createBuiltinEmbedder } from '../../src/embedders/builtin.js';
import type { Embedder } from '../../src/embedders/embedder.js';
import { fullApp, type FullApp } from '../helpers/full-app.js';

let app: FullApp | undefined;
afterEach(async () => {
  await app?.close();
});

test('a file of thousands of chunks is embedded across many turns of the event loop', async () => {
  const builtin = createBuiltinEmbedder();
  const turns: number[] = [];
  let ticks = 0;
  let ticking = true;
  const tick = () => {
    ticks += 1;
    if (ticking) setImmediate(tick);
  };
  const embedder: Embedder = {
    id: builtin.id,
    dimension: builtin.dimension,
    embed: (texts) => {
      turns.push(ticks);
      return builtin.embed(texts);
    },
  };
  app = await fullApp({ embedder, accounts: [{ account_id: 'acme', users: ['alice'] }] });
  const alice = app.client({ account: 'acme', user: 'alice' });
  const line = 'the quick brown fox jumps over the lazy dog near the riverbank at dawn\n';
  const content = line.repeat(Math.ceil((2 * 1024 * 1024) / line.length)); // ~2,600 chunks
  turns.length = 0;
  setImmediate(tick);
  try {
    await alice
      .post('/api/v1/content/write')
      .send({ uri: 'viking://resources/big.md', content, wait: true, timeout: 120 })
      .expect(200);
  } finally {
    ticking = false;
  }
  expect(turns.length).toBeGreaterThan(20);
  for (let i = 1; i < turns.length; i++) expect(turns[i]).toBeGreaterThan(turns[i - 1] ?? 0);
});
