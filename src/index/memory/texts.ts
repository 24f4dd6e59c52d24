/**
 * The strings each row of the in-memory index has of its own (id, abstract, message id), as UTF-8
 * in a few large buffers instead of three JS strings a row: a million rows are a few hundred
 * buffers for the garbage collector, not three million strings, and a row never keeps alive the
 * larger text its abstract was sliced from. A row's strings are one region of a chunk, headed by its
 * row and size; a chunk left less than half used is emptied by moving its live regions to the
 * current one (walking its headers), so freed space is reused whichever rows are freed.
 *
 * Strings that are not well-formed UTF-16 (a lone surrogate: an abstract cut inside an astral
 * character) would not survive UTF-8; the rare rows holding one keep their strings as JS strings.
 */
import { Buffer } from 'node:buffer';
import { grow } from './pool.js';
import { MAP_ENTRY_BYTES, ownBytes, ownCopy } from './shared.js';

/** Per row (rows.ts numbers them densely): chunk, region offset, each field's byte length (-1: null). */
const FIELDS = 3;
const STRIDE = 2 + FIELDS;
/** A region's header: its row and its size after the header. */
const HEADER = 8;
/** Chunks start small (an index of a few rows holds little) and grow with the pool up to 1 MiB. */
const MIN_CHUNK = 1 << 16;
const MAX_CHUNK = 1 << 20;
/** Heap bytes of a Buffer object and its backing-store record, plus its entries in the chunk arrays. */
const CHUNK_OVERHEAD = 160;
/** The chunk of a row that holds no strings (or only odd ones). */
const NONE = -1;

export type OwnStrings = readonly [string, string, string | null];

const isWellFormed = (s: string): boolean => (s as unknown as { isWellFormed(): boolean }).isWellFormed();

export class TextColumns {
  private at: Int32Array = new Int32Array(STRIDE * 1024).fill(NONE);
  private chunks: Array<Buffer | null> = [];
  /** Per chunk: bytes handed out, and bytes of live regions. */
  private tops: number[] = [];
  private live: number[] = [];
  private current = NONE;
  /** An emptied chunk kept for the next one needed (one at most: the rest are given back). */
  private spare = NONE;
  /** Chunk numbers given back, to be reused. */
  private readonly unused: number[] = [];
  private chunkBytes = 0;
  private liveBytes = 0;
  /** Rows whose strings are not well-formed, kept as strings. */
  private readonly odd = new Map<number, OwnStrings>();
  private oddBytes = 0;

  /** Bytes of the chunks, the per-row array and the odd rows. */
  get bytes(): number {
    return this.at.byteLength + this.chunkBytes + this.chunks.length * CHUNK_OVERHEAD + this.oddBytes;
  }

  /** Bytes storing these strings adds at most (a region, and a chunk's spare room past it). */
  static cost(values: OwnStrings): number {
    let bytes = HEADER + STRIDE * 4;
    for (const value of values) if (value !== null) bytes += 3 * value.length;
    return bytes;
  }

  /** Stores the strings of `row` (which holds none). */
  set(row: number, values: OwnStrings): void {
    const base = row * STRIDE;
    if (base >= this.at.length) {
      const old = this.at.length;
      this.at = grow(this.at, Math.max(base + STRIDE, Math.ceil(old / STRIDE / 2) * 3 * STRIDE));
      this.at.fill(NONE, old);
    }
    if (!values.every((v) => v === null || isWellFormed(v))) {
      const kept = [ownCopy(values[0]), ownCopy(values[1]), ownCopy(values[2])] as const;
      this.odd.set(row, kept);
      this.oddBytes += MAP_ENTRY_BYTES + 40 + kept.reduce((n, v) => n + ownBytes(v), 0);
      return;
    }
    let size = 0;
    for (let f = 0; f < FIELDS; f++) {
      const value = values[f] ?? null;
      const length = value === null ? -1 : Buffer.byteLength(value, 'utf8');
      this.at[base + 2 + f] = length;
      if (length > 0) size += length;
    }
    const offset = this.reserve(HEADER + size);
    const chunk = this.current;
    const buffer = this.chunks[chunk] as Buffer;
    buffer.writeInt32LE(row, offset);
    buffer.writeInt32LE(size, offset + 4);
    let at = offset + HEADER;
    for (const value of values) if (value !== null) at += buffer.write(value, at, 'utf8');
    this.at[base] = chunk;
    this.at[base + 1] = offset;
    this.live[chunk] = (this.live[chunk] as number) + HEADER + size;
    this.liveBytes += HEADER + size;
  }

  /** Gives everything back, once every row's strings are cleared: the chunks, the per-row array. */
  empty(): void {
    if (this.liveBytes !== 0 || this.odd.size !== 0) throw new Error('rows still hold strings');
    this.at = new Int32Array(STRIDE * 1024).fill(NONE);
    this.chunks = [];
    this.tops = [];
    this.live = [];
    this.unused.length = 0;
    this.current = NONE;
    this.spare = NONE;
    this.chunkBytes = 0;
  }

  /** String `field` (0 id, 1 abstract, 2 message id) of `row`. */
  get(row: number, field: 0 | 1): string;
  get(row: number, field: 2): string | null;
  get(row: number, field: number): string | null {
    const base = row * STRIDE;
    const chunk = this.at[base] ?? NONE;
    if (chunk === NONE) {
      const odd = this.odd.get(row);
      if (odd === undefined) throw new Error(`row ${row} holds no strings`);
      return odd[field] ?? null;
    }
    const length = this.at[base + 2 + field] as number;
    if (length < 0) return null;
    let start = (this.at[base + 1] as number) + HEADER;
    for (let f = 0; f < field; f++) start += Math.max(0, this.at[base + 2 + f] as number);
    return (this.chunks[chunk] as Buffer).toString('utf8', start, start + length);
  }

  /**
   * Order of the ids of two rows as JS compares strings (UTF-16 code units), from their bytes:
   * UTF-8 orders by code point, which differs only where an astral character meets U+E000–U+FFFF.
   */
  compareIds(a: number, b: number): number {
    const ca = this.at[a * STRIDE] ?? NONE;
    const cb = this.at[b * STRIDE] ?? NONE;
    if (ca === NONE || cb === NONE) {
      const x = this.get(a, 0);
      const y = this.get(b, 0);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    const x = this.chunks[ca] as Buffer;
    const y = this.chunks[cb] as Buffer;
    const xs = (this.at[a * STRIDE + 1] as number) + HEADER;
    const ys = (this.at[b * STRIDE + 1] as number) + HEADER;
    const xn = this.at[a * STRIDE + 2] as number;
    const yn = this.at[b * STRIDE + 2] as number;
    const n = Math.min(xn, yn);
    for (let i = 0; i < n; i++) {
      const p = x[xs + i] as number;
      const q = y[ys + i] as number;
      if (p === q) continue;
      // A lead byte of an astral character (F0–F4) against one of U+E000–U+FFFF (EE, EF): in
      // UTF-16 the astral one is a surrogate (D800–DFFF), so it comes first.
      if (p >= 0xf0 && q >= 0xee && q < 0xf0) return -1;
      if (q >= 0xf0 && p >= 0xee && p < 0xf0) return 1;
      return p - q;
    }
    return xn - yn;
  }

  /** Whether the id of `row` is `id` (without making a string of it when the id is ASCII). */
  idIs(row: number, id: string): boolean {
    const base = row * STRIDE;
    const chunk = this.at[base] ?? NONE;
    const length = this.at[base + 2] as number;
    if (chunk === NONE || length !== id.length) return this.get(row, 0) === id;
    const buffer = this.chunks[chunk] as Buffer;
    const start = (this.at[base + 1] as number) + HEADER;
    for (let i = 0; i < length; i++) {
      const c = id.charCodeAt(i);
      // A non-ASCII character among as many bytes as characters: the lengths agree by accident.
      if (c >= 0x80) return this.get(row, 0) === id;
      if (buffer[start + i] !== c) return false;
    }
    return true;
  }

  /** Forgets the strings of `row`, its region counted free (and its chunk emptied if mostly free). */
  clear(row: number): void {
    const base = row * STRIDE;
    const chunk = this.at[base] ?? NONE;
    if (chunk === NONE) {
      const odd = this.odd.get(row);
      if (odd === undefined) return;
      this.odd.delete(row);
      this.oddBytes -= MAP_ENTRY_BYTES + 40 + odd.reduce((n, v) => n + ownBytes(v), 0);
      return;
    }
    const buffer = this.chunks[chunk] as Buffer;
    const region = HEADER + buffer.readInt32LE((this.at[base + 1] as number) + 4);
    this.at[base] = NONE;
    const live = (this.live[chunk] as number) - region;
    this.live[chunk] = live;
    this.liveBytes -= region;
    const top = this.tops[chunk] as number;
    if (chunk === this.current) {
      if (live === 0) this.tops[chunk] = 0;
      else if (live * 2 < top && top * 2 >= buffer.length) {
        // The current chunk mostly freed behind its top: moved out like any other.
        this.current = NONE;
        this.evacuate(chunk);
      }
    } else if (live === 0) this.drop(chunk);
    else if (live * 2 < top) this.evacuate(chunk);
  }

  /** Moves the live regions of `chunk` to the current chunk, then gives `chunk` up. */
  private evacuate(chunk: number): void {
    const buffer = this.chunks[chunk] as Buffer;
    const top = this.tops[chunk] as number;
    // Not a chunk to move into while it is being emptied.
    this.live[chunk] = 0;
    for (let offset = 0; offset < top;) {
      const row = buffer.readInt32LE(offset);
      const region = HEADER + buffer.readInt32LE(offset + 4);
      const base = row * STRIDE;
      if (this.at[base] === chunk && this.at[base + 1] === offset) {
        const to = this.reserve(region);
        buffer.copy(this.chunks[this.current] as Buffer, to, offset, offset + region);
        this.at[base] = this.current;
        this.at[base + 1] = to;
        this.live[this.current] = (this.live[this.current] as number) + region;
      }
      offset += region;
    }
    this.drop(chunk);
  }

  /** An emptied chunk: kept as the spare if none is and it is small beside what is live, else given back. */
  private drop(chunk: number): void {
    this.tops[chunk] = 0;
    this.live[chunk] = 0;
    const length = (this.chunks[chunk] as Buffer).length;
    if (this.spare === NONE && length <= Math.max(MIN_CHUNK, this.liveBytes / 4)) {
      this.spare = chunk;
      return;
    }
    this.chunkBytes -= (this.chunks[chunk] as Buffer).length;
    this.chunks[chunk] = null;
    this.unused.push(chunk);
  }

  /** The offset of `size` free bytes in the current chunk (a new one if it has no room). */
  private reserve(size: number): number {
    const current = this.current;
    if (current !== NONE) {
      const top = this.tops[current] as number;
      if (top + size <= (this.chunks[current] as Buffer).length) {
        this.tops[current] = top + size;
        return top;
      }
    }
    // A current chunk left empty (a region larger than it) is given up, not left behind.
    if (current !== NONE && this.live[current] === 0) this.drop(current);
    this.current = this.open(size);
    this.tops[this.current] = size;
    return 0;
  }

  /** A chunk with room for `size` bytes: the spare if it fits, else a new one. */
  private open(size: number): number {
    const spare = this.spare;
    if (spare !== NONE && (this.chunks[spare] as Buffer).length >= size) {
      this.spare = NONE;
      return spare;
    }
    let length = MIN_CHUNK;
    while (length < MAX_CHUNK && length < this.liveBytes / 4) length *= 2;
    const buffer = Buffer.allocUnsafeSlow(Math.max(length, size));
    this.chunkBytes += buffer.length;
    const chunk = this.unused.pop() ?? this.chunks.length;
    this.chunks[chunk] = buffer;
    this.tops[chunk] = 0;
    this.live[chunk] = 0;
    return chunk;
  }
}
