/**
 * The scoring kernels of the vector arena: WebAssembly SIMD dot products over a memory shared with
 * the scan threads, written as WebAssembly text (kernel.wat), assembled at build time into
 * kernel-wasm.ts and compiled once per process. Both take a list of row addresses, so a scan reads
 * exactly the rows a filter admitted, in the order given. The scalar reference kernels below say
 * what the SIMD ones compute, to the bit; kernel.test.ts holds them to it.
 */
import { KERNEL_WASM_BASE64 } from './kernel-wasm.js';

/** Kernel signature shared by `dots` and `dots8`: score `n` rows whose addresses start at `addrs`. */
export type Kernel = (addrs: number, n: number, q: number, bytes: number, out: number) => unknown;

/** The kernel `name` of an instance of the kernel module (a function of the kernel's five parameters). */
export function kernelOf(instance: WebAssembly.Instance, name: 'dots' | 'dots8'): Kernel {
  const value = instance.exports[name];
  if (!isKernel(value)) throw new Error(`the kernel module exports no ${name}(5 parameters)`);
  return value;
}

function isKernel(value: unknown): value is Kernel {
  return typeof value === 'function' && value.length === 5;
}

let kernelModule: Promise<WebAssembly.Module> | null = null;

/** The compiled kernel module (it imports `env.memory`, a shared memory of up to 4 GiB). */
export function compileKernel(): Promise<WebAssembly.Module> {
  kernelModule ??= WebAssembly.compile(Buffer.from(KERNEL_WASM_BASE64, 'base64'));
  return kernelModule;
}

/**
 * What `dots` writes for row i, computed one lane at a time: float i of the row goes to lane i mod 8
 * (lanes 0-3 one accumulator, 4-7 the other), every product and sum rounded to float32, then the
 * accumulators added lane-wise and the lanes summed as (0+1)+(2+3).
 */
export function referenceDots(
  memory: ArrayBuffer | SharedArrayBuffer,
  row: number,
  q: number,
  bytes: number,
): number {
  const f32 = new Float32Array(memory);
  const lanes = new Float32Array(8);
  for (let j = 0; j < bytes / 4; j++) {
    const product = Math.fround((f32[row / 4 + j] as number) * (f32[q / 4 + j] as number));
    lanes[j % 8] = Math.fround((lanes[j % 8] as number) + product);
  }
  const sum = (l: number): number => Math.fround((lanes[l] as number) + (lanes[l + 4] as number));
  return Math.fround(Math.fround(sum(0) + sum(1)) + Math.fround(sum(2) + sum(3)));
}

/** What `dots8` writes for row i: the int32 (wrapping) sum of int8 row values times int16 query values. */
export function referenceDots8(
  memory: ArrayBuffer | SharedArrayBuffer,
  row: number,
  q: number,
  bytes: number,
): number {
  const i8 = new Int8Array(memory);
  const i16 = new Int16Array(memory);
  let sum = 0;
  for (let j = 0; j < bytes; j++)
    sum = (sum + Math.imul(i8[row + j] as number, i16[q / 2 + j] as number)) | 0;
  return sum;
}
