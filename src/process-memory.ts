/**
 * The server process's memory as ROOT's system status reports it (`process_memory`): resident set,
 * V8 heap, and memory outside the heap (Buffers, ArrayBuffers). Native allocations (LanceDB, glibc
 * arenas) and WebAssembly memory are in `rss_mb` only; the in-memory index's own share is
 * `search_memory.memory_mb`.
 */
import { allocatorSettings } from './allocator.js';

export interface ProcessMemory {
  readonly rss_mb: number;
  readonly heap_used_mb: number;
  readonly heap_total_mb: number;
  /** C++ objects bound to JS objects, Buffers and ArrayBuffers included. */
  readonly external_mb: number;
  readonly array_buffers_mb: number;
  /** The glibc malloc settings the process was started with (src/allocator.ts); null: glibc's default. */
  readonly allocator: Record<string, string | null>;
}

const mb = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;

/** This process's memory in MiB (one decimal). */
export function processMemory(): ProcessMemory {
  const usage = process.memoryUsage();
  return {
    rss_mb: mb(usage.rss),
    heap_used_mb: mb(usage.heapUsed),
    heap_total_mb: mb(usage.heapTotal),
    external_mb: mb(usage.external),
    array_buffers_mb: mb(usage.arrayBuffers),
    allocator: allocatorSettings(),
  };
}
