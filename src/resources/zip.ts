/**
 * A defensive zip reader for uploaded archives (add_resource folders, pack import). The central
 * directory is read and checked first (zip-directory.ts), so an unsafe or oversized archive is
 * refused before anything is inflated.
 * Inflating happens in a parse worker (parse-jobs.ts) with a deadline: streaming, each entry into a
 * buffer of its declared size and stopped as soon as it would pass it (a lying size cannot grow
 * memory), the total checked as it grows, and each entry checked against its CRC-32, so a truncated
 * or corrupt archive is an error, never partial data. fflate inflates (already used to write packs):
 * small, no dependencies, with a streaming inflater that hands over output as it goes.
 */
import { z } from 'zod';
import type { AppError } from '../errors.js';
import { runTask, TaskRefused, type Refusal } from './parse-jobs.js';
import { invalid, readDirectory, tooLarge, type PlacedEntry, type ZipLimits } from './zip-directory.js';

export { DEFAULT_MAX_RATIO, looksLikeZip, type ZipLimits } from './zip-directory.js';

/** Default of the optional inflating deadline. */
export const DEFAULT_ZIP_TIMEOUT_MS = 20_000;

/** A regular file of the archive: its `/`-separated relative path and its bytes. */
export interface ZipEntry {
  readonly path: string;
  readonly data: Uint8Array;
}

const inflatedSchema = z.object({
  // Arrays made in the worker: checked as views, not with instanceof (another realm under tests).
  datas: z.array(z.custom<Uint8Array>((v) => ArrayBuffer.isView(v))),
  inflated: z.number(),
});

/** The error of an entry the worker refused while inflating. */
function inflateError(refusal: Refusal, entries: readonly PlacedEntry[], limits: ZipLimits): AppError {
  const name = refusal.entry === undefined ? undefined : entries[refusal.entry]?.name;
  switch (refusal.refused) {
    case 'total_size':
      return tooLarge(`an archive may expand to at most ${limits.maxTotalBytes} bytes`, {
        max_bytes: limits.maxTotalBytes,
      });
    case 'entry_size':
      return invalid('an entry expands past its declared size', name);
    case 'checksum':
      return invalid('checksum mismatch', name);
    default:
      return invalid('corrupt compressed data', name);
  }
}

/** Inflates the placed entries in a parse worker; reports the bytes inflated (also when refused). */
async function inflateAll(
  bytes: Uint8Array,
  entries: readonly PlacedEntry[],
  limits: ZipLimits,
  report: (inflated: number) => void,
): Promise<Uint8Array[]> {
  const task = {
    kind: 'inflate' as const,
    bytes,
    maxTotalBytes: limits.maxTotalBytes,
    entries: entries.map((e) => ({
      start: e.dataStart,
      compressedSize: e.compressedSize,
      size: e.size,
      method: e.method,
      crc: e.crc,
    })),
  };
  try {
    const { datas, inflated } = inflatedSchema.parse(
      await runTask(task, 'the archive', { timeoutMs: limits.timeoutMs ?? DEFAULT_ZIP_TIMEOUT_MS }),
    );
    report(inflated);
    return datas;
  } catch (error) {
    if (!(error instanceof TaskRefused)) throw error;
    report(error.refusal.inflated ?? 0);
    throw inflateError(error.refusal, entries, limits);
  }
}

/**
 * Every regular file of a zip archive, in central-directory order; folders are implied by paths.
 * Throws INVALID_ARGUMENT (corrupt or unsafe archive) or PAYLOAD_TOO_LARGE before returning anything.
 * `onInflated` learns how many bytes were inflated (0 when refused before inflating).
 * @example await readZip(zipSync({ 'a/b.md': strToU8('# B') }), limits) // [{ path: 'a/b.md', data }]
 */
export async function readZip(
  bytes: Uint8Array,
  limits: ZipLimits,
  onInflated?: (bytes: number) => void,
): Promise<ZipEntry[]> {
  let inflated = 0;
  try {
    const placed = readDirectory(bytes, limits);
    if (placed.length === 0) return [];
    const datas = await inflateAll(bytes, placed, limits, (n) => (inflated = n));
    return placed.map((entry, i) => ({ path: entry.name, data: datas[i] as Uint8Array }));
  } finally {
    onInflated?.(inflated);
  }
}
