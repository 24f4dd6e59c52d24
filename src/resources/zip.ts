/**
 * A defensive zip reader for uploaded archives (add_resource folders, pack import). It reads the
 * central directory itself so it can refuse, before inflating anything: encrypted entries, symbolic
 * links and other special files, absolute paths, `..` (zip-slip), backslashes and control characters
 * in names, duplicate names, ZIP64, too many entries, and entries or totals over the limits. Entries
 * are inflated with fflate into buffers of their declared size (a lying size cannot grow memory) and
 * checked against their CRC-32, so a truncated or corrupt archive is an error, never partial data.
 */
import { inflateSync } from 'fflate';
import { AppError } from '../errors.js';

export interface ZipLimits {
  readonly maxEntries: number;
  /** Largest uncompressed entry (413 above). */
  readonly maxEntryBytes: number;
  /** Largest sum of uncompressed entries (413 above). */
  readonly maxTotalBytes: number;
}

/** A regular file of the archive: its `/`-separated relative path and its bytes. */
export interface ZipEntry {
  readonly path: string;
  readonly data: Uint8Array;
}

interface CentralEntry {
  readonly name: string;
  readonly method: number;
  readonly crc: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly localOffset: number;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const UNIX_HOST = 3;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = (CRC_TABLE[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function invalid(message: string, entry?: string): AppError {
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

function listEntries(r: Reader, limits: ZipLimits): CentralEntry[] {
  const end = findEndOfDirectory(r);
  const count = r.u16(end + 10);
  const offset = r.u32(end + 16);
  if (count === 0xffff || offset === 0xffffffff) throw invalid('ZIP64 archives are not supported');
  if (count > limits.maxEntries) {
    throw invalid(`more than ${limits.maxEntries} entries`);
  }
  const entries: CentralEntry[] = [];
  const seen = new Set<string>();
  let total = 0;
  for (let i = 0, at = offset; i < count; i++) {
    const { entry, next } = readCentral(r, at);
    at = next;
    if (entry === null) continue;
    if (seen.has(entry.name)) throw invalid('duplicate entry', entry.name);
    seen.add(entry.name);
    if (entry.size > limits.maxEntryBytes) {
      throw new AppError(
        'PAYLOAD_TOO_LARGE',
        `an archive entry may hold at most ${limits.maxEntryBytes} bytes`,
        {
          entry: entry.name,
          max_bytes: limits.maxEntryBytes,
        },
      );
    }
    total += entry.size;
    if (total > limits.maxTotalBytes) {
      throw new AppError(
        'PAYLOAD_TOO_LARGE',
        `an archive may expand to at most ${limits.maxTotalBytes} bytes`,
        {
          max_bytes: limits.maxTotalBytes,
        },
      );
    }
    entries.push(entry);
  }
  return entries;
}

function inflateEntry(r: Reader, entry: CentralEntry): Uint8Array {
  if (r.u32(entry.localOffset) !== LOCAL) throw invalid('corrupt local header', entry.name);
  const start = entry.localOffset + 30 + r.u16(entry.localOffset + 26) + r.u16(entry.localOffset + 28);
  const compressed = r.slice(start, entry.compressedSize);
  let data: Uint8Array;
  if (entry.method === 0) data = compressed;
  else if (entry.method === 8) {
    try {
      data = inflateSync(compressed, { out: new Uint8Array(entry.size) });
    } catch {
      throw invalid('corrupt compressed data', entry.name);
    }
  } else throw invalid(`compression method ${entry.method} is not supported`, entry.name);
  if (data.length !== entry.size || crc32(data) !== entry.crc) throw invalid('checksum mismatch', entry.name);
  return data;
}

/**
 * Every regular file of a zip archive, in central-directory order; folders are implied by paths.
 * Throws INVALID_ARGUMENT (corrupt or unsafe archive) or PAYLOAD_TOO_LARGE before returning anything.
 * @example readZip(zipSync({ 'a/b.md': strToU8('# B') }), limits) // [{ path: 'a/b.md', data }]
 */
export function readZip(bytes: Uint8Array, limits: ZipLimits): ZipEntry[] {
  const r = new Reader(bytes);
  return listEntries(r, limits).map((entry) => ({ path: entry.name, data: inflateEntry(r, entry) }));
}

/** Whether bytes start like a zip archive (a local header, or the end record of an empty one). */
export function looksLikeZip(bytes: Uint8Array): boolean {
  if (bytes.length < 4) return false;
  const signature = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
  return signature === LOCAL || signature === EOCD;
}
