/**
 * glibc malloc settings the server runs with (`npm start` and the load and benchmark scripts start
 * it with them; glibc reads them only at process start, so the server cannot set them itself).
 * LanceDB's Rust threads allocate and free large Arrow buffers; with glibc's defaults each thread
 * gets its own arena (up to 8 per core) and the mmap threshold rises to the largest freed buffer, so
 * freed memory stays resident in the arenas — RSS grew about 50 MiB a minute under writes and
 * compactions (`npm run load`). Two arenas, buffers from 128 KiB up mapped and unmapped on their
 * own, and arenas trimmed past 2 MiB free keep it near the working set. The threshold was 1 MiB
 * until a 9.5 MiB file's write (issue 23 item 5) showed the Arrow batches' columns (100–400 KB each)
 * and LanceDB's buffers of that size staying in the heaps after the write: the next write's peak
 * stood ~40 MB higher (docs/BENCHMARKS.md). A value the operator set wins.
 */
export const ALLOCATOR_ENV: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_MMAP_THRESHOLD_: String(128 * 2 ** 10),
  MALLOC_TRIM_THRESHOLD_: String(2 * 2 ** 20),
};

/** `env` with the allocator settings it does not set itself. */
export function withAllocatorEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;
  for (const [key, value] of Object.entries(ALLOCATOR_ENV)) out[key] ??= value;
  return out;
}

/** The allocator settings this process runs with (what status reports). */
export function allocatorSettings(): Record<string, string | null> {
  return Object.fromEntries(Object.keys(ALLOCATOR_ENV).map((key) => [key, process.env[key] ?? null]));
}
