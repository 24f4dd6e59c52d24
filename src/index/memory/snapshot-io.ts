/**
 * The bytes of a snapshot's sections (snapshot.ts), a chunk at a time: written synchronously straight
 * from the memory that holds them (typed arrays, the arena's linear memory) under a deadline, and read
 * back asynchronously straight into their destinations (fresh typed arrays, the arena's memory) — no
 * section is ever held whole in a buffer, and each chunk read is a turn of the event loop (the read
 * itself runs off it). Their CRC-32s are taken by a worker thread from the files (snapshot-crc.ts).
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { allocateArray, type ArrayType, type TypedArray } from './snapshot-graph.js';

/** Bytes written or read (or checksummed) at a time. */
export const CHUNK = 8 * 2 ** 20;
/** Each array written apart starts at a multiple of this many bytes of its section. */
const ALIGN = 64;

/** A write of a snapshot passed its deadline (what was written is removed). */
export class SnapshotDeadline extends Error {}

/** `promise`'s outcome, or a {@link SnapshotDeadline} once `deadline` (epoch milliseconds) passes first. */
export async function byDeadline<T>(promise: Promise<T>, deadline: number): Promise<T> {
  if (!Number.isFinite(deadline)) return promise;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new SnapshotDeadline('the snapshot passed its deadline')),
      Math.max(0, deadline - Date.now()),
    );
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A typed array written apart: its class and its bytes (where it starts follows from the ones before). */
export interface ArraySpec {
  readonly type: ArrayType;
  readonly bytes: number;
}

/** What a section holds: its length and CRC-32. */
export interface SectionSum {
  readonly bytes: number;
  readonly crc: number;
}

const bytesOf = (view: ArrayBufferView): Uint8Array =>
  new Uint8Array(view.buffer, view.byteOffset, view.byteLength);

/** Writes a section file synchronously, a chunk at a time, checking the deadline before each. */
export class SectionWriter {
  private readonly fd: number;
  private open = true;
  private length = 0;
  private readonly zeros = new Uint8Array(ALIGN);

  constructor(
    path: string,
    private readonly deadline: number,
  ) {
    this.fd = openSync(path, 'wx', 0o600);
  }

  /** Appends `view`'s bytes (read from its own memory, not copied). */
  write(view: ArrayBufferView): void {
    const bytes = bytesOf(view);
    for (let at = 0; at < bytes.byteLength; at += CHUNK) {
      if (Date.now() > this.deadline) throw new SnapshotDeadline('the snapshot passed its deadline');
      const chunk = bytes.subarray(at, at + CHUNK);
      for (let done = 0; done < chunk.byteLength;) done += writeSync(this.fd, chunk, done);
      this.length += chunk.byteLength;
    }
  }

  /** Appends zeros up to the next multiple of {@link ALIGN}. */
  align(): void {
    const pad = (ALIGN - (this.length % ALIGN)) % ALIGN;
    if (pad > 0) this.write(this.zeros.subarray(0, pad));
  }

  /** Closes the file; its length. */
  close(): number {
    this.open = false;
    closeSync(this.fd);
    return this.length;
  }

  /** Closes the file after a failure, unless closed already (it goes with the temporary directory). */
  abandon(): void {
    if (!this.open) return;
    this.open = false;
    closeSync(this.fd);
  }
}

/** Writes the typed arrays `arrays` one after another, each aligned; what a reader needs to read them. */
export function writeArrays(writer: SectionWriter, arrays: readonly TypedArray[]): ArraySpec[] {
  return arrays.map((array) => {
    writer.align();
    writer.write(array);
    return { type: (array.constructor as { name: ArrayType }).name, bytes: array.byteLength };
  });
}

/** The memory page a sparse read leaves untouched when it is all zeros. */
const PAGE = 4096;
const ZEROS = Buffer.alloc(PAGE);

function isZero(part: Uint8Array): boolean {
  return Buffer.compare(part, part.byteLength === PAGE ? ZEROS : ZEROS.subarray(0, part.byteLength)) === 0;
}

/**
 * Reads a section file front to back, a chunk per turn of the event loop, into given destinations
 * (its checksum is taken apart: snapshot-crc.ts).
 */
export class SectionReader {
  private position = 0;
  /** What {@link readSparseInto} reads into first (made on its first call). */
  private scratch: Uint8Array | null = null;

  private constructor(private readonly file: FileHandle) {}

  static async open(path: string): Promise<SectionReader> {
    return new SectionReader(await open(path, 'r'));
  }

  /** Fills `view` with the next bytes of the file (throws if the file ends first). */
  async readInto(view: ArrayBufferView): Promise<void> {
    const bytes = bytesOf(view);
    for (let at = 0; at < bytes.byteLength;) {
      const chunk = bytes.subarray(at, at + CHUNK);
      const { bytesRead } = await this.file.read(chunk, 0, chunk.byteLength, this.position);
      if (bytesRead === 0) throw new Error(`the file ends at byte ${this.position}`);
      this.position += bytesRead;
      at += bytesRead;
    }
  }

  /**
   * {@link readInto} for a destination that holds zeros (fresh WebAssembly memory): the file is read
   * a chunk at a time into a buffer of its own, and only the pages that are not all zeros are copied,
   * so a page of empty rows (the unused end of a block) is never touched and never resident.
   */
  async readSparseInto(view: ArrayBufferView): Promise<void> {
    const bytes = bytesOf(view);
    const buffer = (this.scratch ??= new Uint8Array(CHUNK));
    for (let at = 0; at < bytes.byteLength;) {
      const chunk = buffer.subarray(0, Math.min(CHUNK, bytes.byteLength - at));
      await this.readInto(chunk);
      for (let page = 0; page < chunk.byteLength; page += PAGE) {
        const part = chunk.subarray(page, page + PAGE);
        if (!isZero(part)) bytes.set(part, at + page);
      }
      at += chunk.byteLength;
    }
  }

  /** Moves to the next multiple of {@link ALIGN} (padding is not read). */
  align(): void {
    this.position = Math.ceil(this.position / ALIGN) * ALIGN;
  }

  /** Bytes read (or passed over) so far. */
  get read(): number {
    return this.position;
  }

  close(): Promise<void> {
    return this.file.close();
  }
}

/**
 * Reads what {@link writeArrays} wrote into freshly allocated arrays, sparsely: their pages of zeros
 * (a per-slot array's room to grow, often half of it) stay untouched, as they were before the write.
 */
export async function readArrays(reader: SectionReader, specs: readonly ArraySpec[]): Promise<TypedArray[]> {
  const arrays: TypedArray[] = [];
  for (const spec of specs) {
    reader.align();
    const array = allocateArray(spec.type, spec.bytes);
    await reader.readSparseInto(array);
    arrays.push(array);
  }
  return arrays;
}
