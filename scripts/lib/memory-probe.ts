/** What the in-memory index's memory benchmarks share (bench-memory.ts, bench-tenants.ts). */

/** The vectors' length of the built-in embedder. */
export const DIMENSION = 384;
export const MIB = 2 ** 20;
/** Record times, fixed so runs compare. */
export const times = { created_at: 1_700_000_000_000, updated_at: 1_700_000_000_000 };

const gc = (globalThis as { gc?: () => void }).gc ?? ((): void => undefined);

/** A deterministic vector of DIMENSION numbers for `seed`. */
export function vector(seed: number): Float32Array {
  return Float32Array.from({ length: DIMENSION }, (_, j) => Math.sin(seed * 31 + j));
}

/** Memory after two full collections (run node with --expose-gc for honest figures). */
export function settle(): NodeJS.MemoryUsage {
  gc();
  gc();
  return process.memoryUsage();
}
