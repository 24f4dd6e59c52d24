import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHUNK, SectionReader } from './snapshot-io.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'snapshot-io-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test('a sparse read copies the pages that hold data and leaves all-zero pages untouched', async () => {
  // Two chunks and a partial page: data, a zero page, data across the chunk boundary, zeros, a tail.
  const size = CHUNK + 3 * 4096 + 100;
  const file = new Uint8Array(size);
  file.fill(7, 0, 4096);
  file.fill(9, CHUNK - 10, CHUNK + 10);
  file.fill(5, size - 50);
  const path = join(dir, 'memory.bin');
  writeFileSync(path, file);
  const into = new Uint8Array(size).fill(0xaa);
  const reader = await SectionReader.open(path);
  await reader.readSparseInto(into);
  expect(reader.read).toBe(size);
  await reader.close();
  const page = (at: number) => into.subarray(at, at + 4096);
  expect(page(0).every((b) => b === 7)).toBe(true);
  // The zero pages were not written: they still hold what the destination held.
  expect(page(4096).every((b) => b === 0xaa)).toBe(true);
  expect(page(CHUNK + 4096).every((b) => b === 0xaa)).toBe(true);
  // A page with any data is copied whole, its zeros too.
  expect(Array.from(into.subarray(CHUNK - 4096, CHUNK + 4096))).toEqual(
    Array.from(file.subarray(CHUNK - 4096, CHUNK + 4096)),
  );
  expect(Array.from(into.subarray(CHUNK + 3 * 4096))).toEqual(Array.from(file.subarray(CHUNK + 3 * 4096)));
});
