/**
 * The vector file of the in-memory index: every stored unit vector in float32, one row per slot at
 * slot × row bytes, in a file that no directory names. The arena keeps only the int8 copies in
 * memory and reads the few rows its error bounds leave from here (arena.ts); the kernel then scores
 * them exactly as it scored resident rows. Slots are reused, so the file is bounded by the arena's
 * capacity. It lives in the page cache, not in the process: the kernel may drop its pages and read
 * them again. It is unlinked as soon as it is open, so it goes with the process (a crash leaves no
 * file behind) and nothing else can open it. Like the mirror it is derived: a failed read or write
 * throws {@link VectorFileError} and the mirror is given up (searches read LanceDB), never answered
 * from wrong bytes. Rows are staged ({@link StagedRows}) and written a run of slots at a time.
 */
import { randomUUID } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../../errors.js';
import { DIR_MODE, FILE_MODE } from '../../storage/modes.js';

/** A read or write of the vector file failed: the index holding it can no longer answer. */
export class VectorFileError extends AppError {
  constructor(what: string, cause: unknown) {
    super('INTERNAL', `the in-memory index's vector file failed (${what}: ${String(cause)})`);
    this.cause = cause;
  }
}

/** Opens `path` and unlinks it at once (closing it again if the unlink fails): the descriptor alone names it. */
function openUnlinked(path: string, flags: string, mode?: number): number {
  const fd = openSync(path, flags, mode);
  try {
    unlinkSync(path);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  return fd;
}

/** Rows staged before they are written to the file together. */
const STAGE_ROWS = 1024;

/**
 * Float32 rows on their way to a vector file: kept in order with their slots, written by
 * {@link flush} in one call per run of consecutive slots (a load writes thousands at a time).
 */
export class StagedRows {
  private slots: number[] = [];
  /** The staged rows, `stride` floats each (replaced when it grows: read it after {@link add}). */
  rows: Float32Array<ArrayBuffer>;

  constructor(
    private readonly file: VectorFile,
    private readonly stride: number,
  ) {
    this.rows = new Float32Array(stride * 16);
  }

  /** Bytes held (the staging buffer keeps its size). */
  get bytes(): number {
    return this.rows.byteLength;
  }

  /** Stages a row for `slot` (flushing first when full); returns where it starts in {@link rows}. */
  add(slot: number): number {
    if (this.slots.length === STAGE_ROWS) this.flush();
    const base = this.slots.length * this.stride;
    if (base + this.stride > this.rows.length) {
      const rows = new Float32Array(this.rows.length * 2);
      rows.set(this.rows);
      this.rows = rows;
    }
    this.slots.push(slot);
    return base;
  }

  /** Writes the staged rows. Throws VectorFileError (they are dropped: the index is given up). */
  flush(): void {
    const slots = this.slots;
    if (slots.length === 0) return;
    this.slots = [];
    const bytes = new Uint8Array(this.rows.buffer);
    const rowBytes = this.stride * 4;
    for (let i = 0; i < slots.length;) {
      let run = 1;
      while (i + run < slots.length && slots[i + run] === (slots[i] as number) + run) run++;
      this.file.write(slots[i] as number, run, bytes, i * rowBytes);
      i += run;
    }
  }
}

export class VectorFile {
  private closed = false;

  private constructor(
    private readonly fd: number,
    /** Bytes of one row. */
    readonly rowBytes: number,
  ) {}

  /** A new, already unlinked vector file in `dir` (created if missing) for rows of `rowBytes`. */
  static open(dir: string, rowBytes: number): VectorFile {
    mkdirSync(dir, { recursive: true, mode: DIR_MODE });
    const path = join(dir, `vectors-${process.pid}-${randomUUID()}.f32`);
    return new VectorFile(openUnlinked(path, 'wx+', FILE_MODE), rowBytes);
  }

  /** The file at `path` (a snapshot's copy), opened then unlinked: it becomes an index's vector file. */
  static adopt(path: string, rowBytes: number): VectorFile {
    return new VectorFile(openUnlinked(path, 'r+'), rowBytes);
  }

  /** Hands the whole file to `sink` in order, `chunkBytes` at a time (each chunk reused for the next). */
  readAll(chunkBytes: number, sink: (chunk: Uint8Array) => void): void {
    const chunk = new Uint8Array(chunkBytes);
    const length = this.bytes;
    for (let at = 0; at < length; at += chunkBytes) {
      const n = Math.min(chunkBytes, length - at);
      this.transfer('read', chunk, 0, n, at);
      sink(chunk.subarray(0, n));
    }
  }

  /**
   * A path that opens this very file although no directory names it (Linux: /proc/self/fd/N), so a
   * snapshot can copy it in the kernel; null where the system has none, or once it is closed.
   */
  get openablePath(): string | null {
    const path = `/proc/self/fd/${this.fd}`;
    return !this.closed && existsSync(path) ? path : null;
  }

  /** Bytes the file takes (its length: the highest slot written, plus one, times a row). */
  get bytes(): number {
    if (this.closed) return 0;
    try {
      return fstatSync(this.fd).size;
    } catch {
      return 0;
    }
  }

  /** Writes `count` rows from `rows` (at byte `from`) to slots `first .. first + count - 1`. */
  write(first: number, count: number, rows: Uint8Array, from: number): void {
    this.transfer('write', rows, from, count * this.rowBytes, first * this.rowBytes);
  }

  /** Reads the rows of slots `first .. first + count - 1` into `into` at byte `at`. */
  read(first: number, count: number, into: Uint8Array, at: number): void {
    this.transfer('read', into, at, count * this.rowBytes, first * this.rowBytes);
  }

  /** Closes the file (it is gone once closed: it was never linked). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      closeSync(this.fd);
    } catch {
      // Already failed (a descriptor gone bad): nothing is left to give back.
    }
  }

  /** All `length` bytes or a {@link VectorFileError}: a short read means rows that were never written. */
  private transfer(
    what: 'read' | 'write',
    buffer: Uint8Array,
    at: number,
    length: number,
    position: number,
  ): void {
    let done = 0;
    try {
      if (this.closed) throw new Error('closed');
      while (done < length) {
        const n =
          what === 'read'
            ? readSync(this.fd, buffer, at + done, length - done, position + done)
            : writeSync(this.fd, buffer, at + done, length - done, position + done);
        if (n <= 0) throw new Error(`${what} returned ${n} at byte ${position + done}`);
        done += n;
      }
    } catch (error) {
      // A descriptor gone bad is not closed later: its number may name another file by then.
      if (error instanceof Error && 'code' in error && error.code === 'EBADF') this.closed = true;
      throw new VectorFileError(what, error);
    }
  }
}
