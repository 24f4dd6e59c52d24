import { readFile } from 'node:fs/promises';
import fc from 'fast-check';
// The same assembly the build script runs (wabt is a development dependency only).
import { assemble } from '../../../scripts/build-kernel.js';
import { KERNEL_WASM_BASE64 } from './kernel-wasm.js';
import { compileKernel, kernelOf, referenceDots, referenceDots8 } from './kernel.js';

const PAGE = 65536;

async function instance(pages: number) {
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
  const kernels = await WebAssembly.instantiate(await compileKernel(), { env: { memory } });
  return { memory, dots: kernelOf(kernels, 'dots'), dots8: kernelOf(kernels, 'dots8') };
}

test('the committed kernel bytes are what kernel.wat assembles to (npm run build:kernel)', async () => {
  const text = await readFile(new URL('./kernel.wat', import.meta.url), 'utf8');
  const assembled = await assemble(text);
  expect(Buffer.from(KERNEL_WASM_BASE64, 'base64').equals(assembled)).toBe(true);
});

// Rows of 16 to 320 int8 values read 8 rows ahead up to 320 bytes past the row's start: a row at
// the end of the memory made every scan of it trap ("memory access out of bounds").
test.each([16, 64, 128, 320, 384])('dots8 on %i-byte rows ending at the end of the memory', async (bytes) => {
  const { memory, dots8 } = await instance(1);
  const row = PAGE - bytes;
  const i8 = new Int8Array(memory.buffer);
  for (let j = 0; j < bytes; j++) i8[row + j] = (j % 11) - 5;
  const q = 0;
  new Int16Array(memory.buffer, q, bytes).fill(3);
  const addrs = 4096;
  const n = 12;
  new Int32Array(memory.buffer, addrs, n).fill(row);
  const out = 8192;
  expect(() => dots8(addrs, n, q, bytes, out)).not.toThrow();
  const expected = referenceDots8(memory.buffer, row, q, bytes);
  expect(Array.from(new Int32Array(memory.buffer, out, n))).toEqual(new Array<number>(n).fill(expected));
});

test('the SIMD kernels compute exactly what the scalar reference kernels do', async () => {
  const { memory, dots, dots8 } = await instance(4);
  const buffer = memory.buffer;
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 24 }),
      fc.integer({ min: 1, max: 20 }),
      fc.integer({ min: 1, max: 2 ** 31 - 1 }),
      (steps, n, seed) => {
        let s = seed;
        const next = (): number => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1;
        const floats = new Float32Array(buffer);
        for (let i = 0; i < floats.length; i++) floats[i] = next() * (i % 5 === 0 ? 1e3 : 1);
        const rows = Array.from({ length: n }, () => 16384 + 16 * Math.floor((next() + 1) * 5000));
        const addrs = 0;
        new Int32Array(buffer, addrs, n).set(rows);
        const out = 4096;
        const q = 8192;
        const bytes32 = steps * 32;
        dots(addrs, n, q, bytes32, out);
        const scores = Array.from(new Float32Array(buffer, out, n));
        expect(scores).toEqual(rows.map((r) => referenceDots(buffer, r, q, bytes32)));
        const bytes8 = steps * 16;
        dots8(addrs, n, q, bytes8, out);
        const sums = Array.from(new Int32Array(buffer, out, n));
        expect(sums).toEqual(rows.map((r) => referenceDots8(buffer, r, q, bytes8)));
      },
    ),
    { numRuns: 60 },
  );
});
