import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { Checksummer, checksums } from './snapshot-crc.js';
import { CHUNK } from './snapshot-io.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'snapshot-crc-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, length: number, seed: number): { path: string; bytes: Buffer } {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + seed) & 0xff;
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return { path, bytes };
}

test('files handed to the worker one after another are checksummed as zlib does, across chunks', async () => {
  const b = file('b', 1000, 2);
  const files = [file('a', 0, 1), b, file('c', CHUNK + 12345, 3)];
  const checker = new Checksummer();
  try {
    const sums = await Promise.all(files.map(({ path }) => checker.sum(path)));
    expect(sums).toEqual(files.map(({ bytes }) => ({ bytes: bytes.byteLength, crc: crc32(bytes) })));
    // Still answering after those.
    const more = file('d', 77, 4);
    expect(await checker.sum(more.path)).toEqual({ bytes: 77, crc: crc32(more.bytes) });
  } finally {
    await checker.close();
  }
  expect(await checksums([b.path, b.path])).toEqual([1, 2].map(() => ({ bytes: 1000, crc: crc32(b.bytes) })));
});

test('a missing file throws at once; closing the worker settles what it was still checksumming', async () => {
  const checker = new Checksummer();
  expect(() => checker.sum(join(dir, 'missing'))).toThrow(/ENOENT/);
  const big = file('big', 4 * CHUNK, 5);
  const pending = checker.sum(big.path);
  await checker.close();
  // Read before the worker stopped, or rejected: never left waiting.
  const outcome = await pending.then(
    (sum) => sum,
    (error: Error) => error.message,
  );
  expect([{ bytes: big.bytes.byteLength, crc: crc32(big.bytes) }, 'checksums abandoned']).toContainEqual(
    outcome,
  );
  await expect(checker.sum(big.path)).rejects.toThrow('checksums abandoned');
  await expect(checksums([big.path, join(dir, 'missing')])).rejects.toThrow(/ENOENT/);
});
