/**
 * Issue 23 item 5: a file's bytes are freed as soon as their stage is done — the write's once stored,
 * the indexer's once decoded — not at a full garbage collection, which an idle server does not run
 * (a 9.5 MiB file left each of them allocated). Each buffer reads as empty afterwards, and the file
 * still reads back and is found.
 */
import { jest } from '@jest/globals';
import { LocalFileStorage } from '../../src/storage/local-files.js';
import { fullApp, type FullApp } from '../helpers/full-app.js';

let app: FullApp | undefined;
afterEach(async () => {
  jest.restoreAllMocks();
  await app?.close();
});

test("the write's bytes and the indexer's read of them are freed once used", async () => {
  // Spies call through: they only record the buffers handed to and returned by the storage.
  const writes = jest.spyOn(LocalFileStorage.prototype, 'write');
  const reads = jest.spyOn(LocalFileStorage.prototype, 'read');
  app = await fullApp({ accounts: [{ account_id: 'acme', users: ['alice'] }] });
  const alice = app.client({ account: 'acme', user: 'alice' });
  // Over 4 KiB, so that each buffer owns its memory (smaller ones share Node's pool).
  const content = 'zephyrine marmalade quokka\n'.repeat(2000);
  const uri = 'viking://resources/big.md';
  await alice.post('/api/v1/content/write').send({ uri, content, wait: true, timeout: 60 }).expect(200);
  const size = Buffer.byteLength(content);
  const written = writes.mock.calls.map((call) => call[2]);
  const results = await Promise.all(reads.mock.results.map((r) => r.value as Promise<Buffer | null>));
  const read = results.filter((b): b is Buffer => b !== null);
  expect(written.filter((b) => b.byteLength === 0)).toHaveLength(1);
  expect(written.some((b) => b.byteLength === size)).toBe(false);
  expect(read.filter((b) => b.byteLength === 0).length).toBeGreaterThanOrEqual(1);
  const back = await alice.get('/api/v1/content/read').query({ uri }).expect(200);
  expect(JSON.stringify(back.body)).toContain('zephyrine marmalade quokka');
  const found = await alice.post('/api/v1/search/find').send({ query: 'quokka marmalade' }).expect(200);
  expect(JSON.stringify(found.body)).toContain(uri);
});
