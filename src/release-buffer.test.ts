import { releaseBuffer } from './release-buffer.js';

const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

test('a buffer that owns its memory is released: it reads as empty and the memory is freed', async () => {
  await settle();
  const before = process.memoryUsage().arrayBuffers;
  const file = Buffer.alloc(32 * 2 ** 20, 1);
  expect(process.memoryUsage().arrayBuffers - before).toBeGreaterThanOrEqual(32 * 2 ** 20);
  expect(releaseBuffer(file)).toBe(true);
  expect(file.length).toBe(0);
  await settle();
  // Freed without a garbage collection (`file` is still referenced here).
  expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(2 ** 20);
});

test.each([
  ['a pooled small Buffer', () => Buffer.from('abc')],
  ['a slice of a larger buffer', () => Buffer.alloc(4096).subarray(16, 64)],
  ['an empty buffer', () => Buffer.alloc(0)],
])('%s is left alone', (_name, make) => {
  const bytes = make();
  const length = bytes.length;
  expect(releaseBuffer(bytes)).toBe(false);
  expect(bytes.length).toBe(length);
});

test('shared memory is left alone', () => {
  const shared = new Uint8Array(new SharedArrayBuffer(4096));
  expect(releaseBuffer(shared)).toBe(false);
  expect(shared.length).toBe(4096);
});
