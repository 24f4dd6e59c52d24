/**
 * The central directory of an uploaded zip archive (zip.ts inflates what it lists), read and checked
 * before anything is inflated. It refuses encrypted entries, symbolic links and other special files,
 * absolute paths, `..` (zip-slip), backslashes and control characters in names, duplicate names,
 * ZIP64, too many entries, entries or totals over the limits, entries that expand more than
 * `maxRatio` times, and entries whose local header or compressed data lie outside the archive or
 * overlap another's (the classic zip bomb points many entries at one deflated stream).
 */
import { AppError, itemAt } from '../errors.js';

export interface ZipLimits {
  readonly maxEntries: number;
  /** Largest uncompressed entry (413 above). */
  readonly maxEntryBytes: number;
  /** Largest sum of uncompressed entries (413 above). */
  readonly maxTotalBytes: number;
  /** How many times its compressed size an entry larger than 64 KiB may expand (413 above). */
  readonly maxRatio?: number;
  /** How long inflating the whole archive may take (413 past it). */
  readonly timeoutMs?: number;
}

/** Default of the optional ratio limit. */
export const DEFAULT_MAX_RATIO = 200;
/** Entries up to this size may expand any number of times (a small file of blanks compresses well). */
const RATIO_FREE_BYTES = 64 * 1024;

interface CentralEntry {
  readonly name: string;
  readonly method: number;
  readonly crc: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly localOffset: number;
}

/** A regular file of the archive with where its compressed data starts. */
export interface PlacedEntry extends CentralEntry {
  readonly dataStart: number;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const UNIX_HOST = 3;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;

/** A corrupt or unsafe archive (400), naming the entry when there is one. */
export function invalid(message: string, entry?: string): AppError {
  return new AppError(
    'INVALID_ARGUMENT',
    `invalid zip archive: ${message}`,
    entry === undefined ? {} : { entry },
  );
}

/** Little-endian reads that fail as a corrupt archive instead of returning garbage past the end. */
class Reader {
  private readonly view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  u16(at: number): number {
    if (at + 2 > this.bytes.length) throw invalid('truncated');
    return this.view.getUint16(at, true);
  }
  u32(at: number): number {
    if (at + 4 > this.bytes.length) throw invalid('truncated');
    return this.view.getUint32(at, true);
  }
  slice(at: number, length: number): Uint8Array {
    if (at + length > this.bytes.length) throw invalid('truncated');
    return this.bytes.subarray(at, at + length);
  }
}

function findEndOfDirectory(r: Reader): number {
  const last = r.bytes.length - 22;
  for (let at = last; at >= 0 && at >= last - 0xffff; at--) {
    if (r.u32(at) === EOCD) return at;
  }
  throw invalid('not a zip archive (no end of central directory)');
}

/** The relative path of an entry name, or an error naming why it may not be extracted. */
function safePath(name: string): string {
  if (/[\p{Cc}]/u.test(name)) throw invalid('control character in an entry name', name);
  if (name.includes('\\')) throw invalid('backslash in an entry name', name);
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) throw invalid('absolute entry path', name);
  const segments = name.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) throw invalid("entry path leaves the archive ('..')", name);
  return segments.join('/');
}

function fileType(madeBy: number, attributes: number): number {
  return madeBy >>> 8 === UNIX_HOST ? (attributes >>> 16) & S_IFMT : 0;
}

function readCentral(r: Reader, at: number): { entry: CentralEntry | null; next: number } {
  if (r.u32(at) !== CENTRAL) throw invalid('corrupt central directory');
  const nameLength = r.u16(at + 28);
  const next = at + 46 + nameLength + r.u16(at + 30) + r.u16(at + 32);
  const name = new TextDecoder().decode(r.slice(at + 46, nameLength));
  if ((r.u16(at + 8) & 1) !== 0) throw invalid('encrypted entries are not supported', name);
  const type = fileType(r.u16(at + 4), r.u32(at + 38));
  if (type !== 0 && type !== S_IFREG && type !== S_IFDIR) {
    throw invalid('symbolic links and special files are not allowed', name);
  }
  const path = safePath(name);
  if (name.endsWith('/') || type === S_IFDIR || path === '') return { entry: null, next };
  const entry = {
    name: path,
    method: r.u16(at + 10),
    crc: r.u32(at + 16),
    compressedSize: r.u32(at + 20),
    size: r.u32(at + 24),
    localOffset: r.u32(at + 42),
  };
  if ([entry.compressedSize, entry.size, entry.localOffset].includes(0xffffffff)) {
    throw invalid('ZIP64 archives are not supported', name);
  }
  return { entry, next };
}

/** Over a size limit (413). */
export function tooLarge(
  message: string,
  details: { entry?: string; max_bytes?: number; limit?: number },
): AppError {
  return new AppError('PAYLOAD_TOO_LARGE', message, details);
}

/** An entry's own limits: a known method, its size, and how far it expands. */
function checkEntry(entry: CentralEntry, limits: ZipLimits): void {
  const { name } = entry;
  if (entry.method !== 0 && entry.method !== 8) {
    throw invalid(`compression method ${entry.method} is not supported`, name);
  }
  if (entry.method === 0 && entry.size !== entry.compressedSize) throw invalid('corrupt sizes', name);
  if (entry.size > limits.maxEntryBytes) {
    const max = limits.maxEntryBytes;
    throw tooLarge(`an archive entry may hold at most ${max} bytes`, { entry: name, max_bytes: max });
  }
  const ratio = limits.maxRatio ?? DEFAULT_MAX_RATIO;
  if (entry.size > RATIO_FREE_BYTES && entry.size > ratio * entry.compressedSize) {
    throw tooLarge(`an archive entry may expand at most ${ratio} times its compressed size`, {
      entry: name,
      limit: ratio,
    });
  }
}

/** The regular files of the central directory (names checked), and where the directory starts. */
function listEntries(r: Reader, limits: ZipLimits): { entries: CentralEntry[]; directory: number } {
  const end = findEndOfDirectory(r);
  const count = r.u16(end + 10);
  const offset = r.u32(end + 16);
  if (count === 0xffff || offset === 0xffffffff) throw invalid('ZIP64 archives are not supported');
  if (count > limits.maxEntries) {
    throw invalid(`more than ${limits.maxEntries} entries`);
  }
  if (offset > end) throw invalid('corrupt central directory');
  const entries: CentralEntry[] = [];
  const seen = new Set<string>();
  for (let i = 0, at = offset; i < count; i++) {
    const { entry, next } = readCentral(r, at);
    at = next;
    if (entry === null) continue;
    if (seen.has(entry.name)) throw invalid('duplicate entry', entry.name);
    seen.add(entry.name);
    entries.push(entry);
  }
  return { entries, directory: offset };
}

/** Each entry's limits, and the total of their declared sizes. */
function checkLimits(entries: readonly CentralEntry[], limits: ZipLimits): void {
  let total = 0;
  for (const entry of entries) {
    checkEntry(entry, limits);
    total += entry.size;
    if (total > limits.maxTotalBytes) {
      const max = limits.maxTotalBytes;
      throw tooLarge(`an archive may expand to at most ${max} bytes`, { max_bytes: max });
    }
  }
}

/** Where an entry's data starts; its local header and data must lie before the central directory. */
function place(r: Reader, entry: CentralEntry, directory: number): PlacedEntry {
  const at = entry.localOffset;
  if (at + 30 > directory || r.u32(at) !== LOCAL) throw invalid('corrupt local header', entry.name);
  const dataStart = at + 30 + r.u16(at + 26) + r.u16(at + 28);
  if (dataStart + entry.compressedSize > directory) {
    throw invalid('entry data lies outside the archive', entry.name);
  }
  return { ...entry, dataStart };
}

/**
 * The entries with their data's place, refused if any two overlap (local header or data): without
 * overlaps the work of inflating is bounded by the archive's own size times the ratio limit.
 */
function placeEntries(r: Reader, entries: readonly CentralEntry[], directory: number): PlacedEntry[] {
  const placed = entries.map((entry) => place(r, entry, directory));
  const byOffset = [...placed].sort((a, b) => a.localOffset - b.localOffset);
  for (let i = 1; i < byOffset.length; i++) {
    const previous = itemAt(byOffset, i - 1);
    const entry = itemAt(byOffset, i);
    if (entry.localOffset < previous.dataStart + previous.compressedSize) {
      throw invalid('entries overlap', entry.name);
    }
  }
  return placed;
}

/**
 * The regular files of the archive in central-directory order, with where their data lies; throws
 * INVALID_ARGUMENT (corrupt or unsafe archive) or PAYLOAD_TOO_LARGE (over `limits`).
 */
export function readDirectory(bytes: Uint8Array, limits: ZipLimits): PlacedEntry[] {
  const r = new Reader(bytes);
  const { entries, directory } = listEntries(r, limits);
  const placed = placeEntries(r, entries, directory);
  checkLimits(placed, limits);
  return placed;
}

/** Whether bytes start like a zip archive (a local header, or the end record of an empty one). */
export function looksLikeZip(bytes: Uint8Array): boolean {
  if (bytes.length < 4) return false;
  const signature = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
  return signature === LOCAL || signature === EOCD;
}
