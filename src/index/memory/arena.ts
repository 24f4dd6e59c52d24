/**
 * The vector arena of the in-memory index: an int8 copy of every unit vector kept in one WebAssembly
 * linear memory, the float32 vectors themselves in the index's vector file (vector-file.ts), scored
 * against a query by the SIMD kernels (kernel.ts) for any list of slots, large lists shared with
 * scan threads (threads.ts). A query scans the int8 copies with a bound on each score's error; only
 * the slots whose bound can still reach the top k are read from the file and scored in float32 —
 * the exact answer, with a sixth of the vector bytes resident.
 * Slots come from blocks (blocks.ts): an account's vectors beyond its first few lie together in its
 * own blocks and are read as streams — scattered rows cost about 2.5× as much here.
 */
import { tmpdir } from 'node:os';
import { AppError, itemAt } from '../../errors.js';
import type { Logger } from '../../log.js';
import { SlotBlocks } from './blocks.js';
import { compileKernel, kernelOf, type Kernel } from './kernel.js';
import { candidates, errorBound, packInt8, queryLimit, quantizeQuery } from './quantize.js';
import { ScanThreads } from './threads.js';
import { KthLargest, topK } from './top.js';
import { StagedRows, VectorFile } from './vector-file.js';

const PAGE = 65536;
const MAX_PAGES = 65536;
/** Bytes of linear memory float32 rows read from the vector file are scored in, a batch at a time. */
const ROW_SCRATCH_BYTES = 2 ** 20;
/**
 * Candidates at most this many bytes of rows apart are read from the vector file in one call: a
 * call cost about 12 µs on the benchmark machine, copying a row from the page cache about 0.3.
 */
const GAP_BYTES = 32 * 1024;

export interface ArenaOptions {
  /** Worker threads that share large scans (0: the calling thread scores everything). */
  readonly threads?: number;
  readonly log?: Logger;
  /** Where the vector file is created (and at once unlinked); default: the system's temporary directory. */
  readonly vectorDir?: string;
  /** A vector file to use instead of a new one (a restored snapshot's). */
  readonly vectorFile?: VectorFile;
}

/** The arena's state outside its linear memory and vector file, for a snapshot. */
export interface ArenaFields {
  readonly brk: number;
  readonly scales: Float32Array<ArrayBuffer>;
  readonly residuals: Float32Array<ArrayBuffer>;
  readonly scratch: { query: number; query16: number; addrs: number; out: number; capacity: number };
  readonly rows: number;
  readonly rowsCapacity: number;
  readonly blocks: SlotBlocks;
}

/** One scored slot: its position in the slot list and its cosine similarity. */
export interface Scored {
  readonly index: number;
  readonly score: number;
}

/** Thrown when storing one more vector would pass the arena's byte budget. */
export class ArenaFullError extends AppError {
  constructor(budget: number) {
    super('RESOURCE_EXHAUSTED', `the in-memory index would exceed its budget of ${budget} bytes`);
  }
}

export class VectorArena {
  /** Floats per float32 row (in the file): the dimension rounded up to the kernel's step of 8. */
  private readonly stride: number;
  private f32: Float32Array;
  private i32: Int32Array;
  private u8: Uint8Array;
  /** Next free byte of the linear memory (blocks and scratch are bump-allocated). */
  private brk = 0;
  private readonly blocks: SlotBlocks;
  /** Bytes its owner holds outside the linear memory: the budget bounds both together. */
  outside: () => number = () => 0;
  /** Bytes per stored int8 copy: the dimension rounded up to the kernel's step of 16. */
  private readonly stride8: number;
  /** Largest int16 query component such that no int32 sum of `stride8` products overflows. */
  private readonly q16: number;
  private i16: Int16Array;
  /** Per slot: the int8 copy's scale (component = scale × int8 value, up to half a step). */
  private scales = new Float32Array(1024);
  /** Per slot: an upper bound of the norm of what the int8 copy lost (quantize.ts). */
  private residuals = new Float32Array(1024);
  private scratch = { query: 0, query16: 0, addrs: 0, out: 0, capacity: 0 };
  /** Linear memory float32 rows are read into, and how many rows it holds (up to {@link maxRows}). */
  private rows = 0;
  private rowsCapacity = 0;
  private readonly maxRows: number;
  // Reused per query: allocating them anew made the garbage collector run during queries.
  /** Per position of the scan under way: the upper bound of its score. */
  private highs = new Float64Array(0);
  /** The k-th largest lower bound of the scan under way. */
  private readonly floor = new KthLargest();
  /** Unit vectors stored since the last write to the file. */
  private readonly staged: StagedRows;

  private constructor(
    readonly dimension: number,
    private readonly budget: number,
    private readonly memory: WebAssembly.Memory,
    private readonly dots: Kernel,
    private readonly dots8: Kernel,
    private readonly threads: ScanThreads,
    private readonly file: VectorFile,
  ) {
    this.stride = Math.ceil(dimension / 8) * 8;
    this.stride8 = Math.ceil(dimension / 16) * 16;
    this.q16 = queryLimit(this.stride8);
    this.f32 = new Float32Array(memory.buffer);
    this.i32 = new Int32Array(memory.buffer);
    this.i16 = new Int16Array(memory.buffer);
    this.u8 = new Uint8Array(memory.buffer);
    this.blocks = new SlotBlocks((size) => this.reserve(size), this.stride8);
    this.maxRows = Math.max(16, Math.floor(ROW_SCRATCH_BYTES / (this.stride * 4)));
    this.staged = new StagedRows(file, this.stride);
  }

  /**
   * An empty arena for vectors of `dimension`, using at most `budget` bytes of memory; large scans
   * are shared with `threads` worker threads (0: the calling thread scores everything); the float32
   * vectors go to a file created in `vectorDir`.
   */
  static async create(dimension: number, budget: number, options: ArenaOptions = {}): Promise<VectorArena> {
    // Shared, so that scan threads can read the vectors in place.
    const memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES, shared: true });
    const module = await compileKernel();
    const instance = await WebAssembly.instantiate(module, { env: { memory } });
    const dots = kernelOf(instance, 'dots');
    const dots8 = kernelOf(instance, 'dots8');
    const file =
      options.vectorFile ?? VectorFile.open(options.vectorDir ?? tmpdir(), Math.ceil(dimension / 8) * 8 * 4);
    const threads = new ScanThreads(module, memory, {
      count: options.threads ?? 0,
      ...(options.log ? { log: options.log } : {}),
    });
    const limit = Math.min(budget, MAX_PAGES * PAGE);
    return new VectorArena(dimension, limit, memory, dots, dots8, threads, file);
  }

  /** Starts the scan threads now (they otherwise start on the first large scan); resolves when ready. */
  startThreads(): Promise<void> {
    return this.threads.start();
  }

  /** Scan threads currently sharing large scans. */
  get activeThreads(): number {
    return this.threads.active;
  }

  /**
   * An arena being restored from a snapshot (snapshot.ts): its linear memory grown to `bytes` and
   * filled by `fill` (straight into it: a view of those bytes), its float32 rows the file at
   * `vectorPath` (opened, then unlinked: it becomes this arena's vector file). It is not usable
   * until {@link restoreFields} gave it the rest of its state.
   */
  static async restore(
    dimension: number,
    budget: number,
    options: ArenaOptions,
    snapshot: { bytes: number; fill: (memory: Uint8Array) => Promise<void>; vectorPath: string },
  ): Promise<VectorArena> {
    const arena = await VectorArena.create(dimension, budget, {
      ...options,
      vectorFile: VectorFile.adopt(snapshot.vectorPath, Math.ceil(dimension / 8) * 8 * 4),
    });
    try {
      arena.brk = 0;
      arena.reserve(snapshot.bytes);
      await snapshot.fill(arena.u8.subarray(0, snapshot.bytes));
    } catch (error) {
      await arena.close();
      throw error;
    }
    return arena;
  }

  /** Gives an arena {@link restore} made the state {@link snapshotFields} gave. */
  restoreFields(fields: ArenaFields): void {
    if (fields.brk !== this.brk) throw new Error('the linear memory snapshot is truncated');
    this.scales = fields.scales;
    this.residuals = fields.residuals;
    this.scratch = fields.scratch;
    this.rows = fields.rows;
    this.rowsCapacity = fields.rowsCapacity;
    const blocks = fields.blocks as unknown as { reserve: (size: number) => number };
    blocks.reserve = (size) => this.reserve(size);
    (this as unknown as { blocks: SlotBlocks }).blocks = fields.blocks;
  }

  /** What a snapshot keeps of the arena besides its linear memory ({@link snapshotMemory}) and vector file. */
  snapshotFields(): ArenaFields {
    this.flush();
    const { brk, scales, residuals, scratch, rows, rowsCapacity, blocks } = this;
    return { brk, scales, residuals, scratch, rows, rowsCapacity, blocks };
  }

  /** The bytes of linear memory handed out (a view: copy or write it before the arena changes). */
  snapshotMemory(): Uint8Array {
    return this.u8.subarray(0, this.brk);
  }

  /**
   * A path opening the vector file (all rows flushed), to copy it in the kernel; null where the
   * system has none ({@link readVectorFile} then).
   */
  vectorFilePath(): string | null {
    this.flush();
    return this.file.openablePath;
  }

  /** Hands the vector file (all rows flushed) to `sink`, `chunkBytes` at a time. */
  readVectorFile(chunkBytes: number, sink: (chunk: Uint8Array) => void): void {
    this.flush();
    this.file.readAll(chunkBytes, sink);
  }

  /** Stops the scan threads and closes the vector file (the arena answers no more queries). */
  close(): Promise<void> {
    this.file.close();
    return this.threads.close();
  }

  /**
   * Bytes of linear memory handed out (blocks and scratch). The memory is grown ahead of them, but
   * pages not yet handed out are never written, so they take address space, not resident memory.
   */
  get bytes(): number {
    return this.brk;
  }

  /** Bytes of the vector file: on disk and in the page cache, not in this process's memory. */
  get fileBytes(): number {
    return this.file.bytes;
  }

  /**
   * A slot for one more vector of `group` of `account` (blocks.ts: rows of a group are kept side by
   * side; space freed by any account is reused).
   */
  alloc(account: string, group = account): number {
    const slot = this.blocks.alloc(account, group);
    if (slot >= this.scales.length) {
      const length = Math.max(slot + 1, this.scales.length * 2);
      this.scales = grown(this.scales, length);
      this.residuals = grown(this.residuals, length);
    }
    return slot;
  }

  /** Gives a slot back (nothing if it is not in use). */
  free(slot: number): void {
    this.blocks.free(slot);
  }

  /** Bytes of linear memory plus the slots' bookkeeping outside it. */
  get heldBytes(): number {
    return (
      this.bytes +
      this.blocks.bytes +
      this.scales.byteLength +
      this.residuals.byteLength +
      this.highs.byteLength +
      this.floor.bytes +
      this.staged.bytes
    );
  }

  /** Slot ids in existence (per-slot arrays elsewhere need no more entries than this). */
  get capacity(): number {
    return this.blocks.capacity;
  }

  /**
   * Stores `vector` in `slot`, scaled to unit length (a zero vector stays zero): its int8 copy at
   * once, the float32 row in the vector file by {@link flush} (which queries call first).
   */
  set(slot: number, vector: Float32Array): void {
    let norm = 0;
    for (let j = 0; j < this.dimension; j++) norm += (vector[j] ?? 0) ** 2;
    const unit = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    const base = this.staged.add(slot);
    const rows = this.staged.rows;
    for (let j = 0; j < this.dimension; j++) rows[base + j] = (vector[j] ?? 0) * unit;
    rows.fill(0, base + this.dimension, base + this.stride);
    const packed = packInt8(rows, base, this.dimension, this.i32, this.address(slot) / 4, this.stride8);
    this.scales[slot] = packed.scale;
    this.residuals[slot] = packed.residual;
  }

  /** Writes the rows {@link set} stored since the last flush to the vector file (VectorFileError). */
  flush(): void {
    this.staged.flush();
  }

  /**
   * The k slots of `slots[0..n)` most similar (cosine) to `query`, best first, exactly as scoring
   * every one in float32 would rank them (the higher score first, then the lower slot). Every
   * slot is first scored on its int8 copy with a bound on the error of its score; only the slots
   * whose upper bound reaches the k-th best lower bound can be in the top k, and only those are read
   * from the vector file and scored exactly. Throws VectorFileError when the file fails.
   */
  nearest(slots: Int32Array, n: number, query: Float32Array, k: number): Scored[] {
    this.flush();
    this.ensureScratch(n);
    this.loadQuery(query);
    let kept: number[];
    if (n <= k) kept = Array.from({ length: n }, (_, i) => i);
    else {
      const floor = this.approximate(slots, n, k);
      kept = candidates(this.highs, n, floor);
    }
    const picked = Int32Array.from(kept, (i) => slots[i] as number);
    const scores = this.exact(picked);
    // Equal scores: the lower slot first, whatever order the slots came in.
    const bySlot = (a: number, b: number): number => (picked[a] as number) - (picked[b] as number);
    return topK(scores, scores.length, k, bySlot).map((c) => ({
      index: itemAt(kept, c),
      score: scores[c] as number,
    }));
  }

  /** Writes the unit query (float32) into scratch; its int16 copy is written by {@link approximate}. */
  private loadQuery(query: Float32Array): void {
    let norm = 0;
    for (let j = 0; j < this.dimension; j++) norm += (query[j] ?? 0) ** 2;
    const unit = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    const q = this.scratch.query / 4;
    for (let j = 0; j < this.dimension; j++) this.f32[q + j] = (query[j] ?? 0) * unit;
    this.f32.fill(0, q + this.dimension, q + this.stride);
  }

  /**
   * Float32 cosine of the query in scratch with each of `picked`: their rows read from the vector
   * file in slot order into row scratch, a batch at a time, and scored by the same kernel that
   * scored resident rows — the same float32 score to the bit. Candidates less than
   * {@link GAP_BYTES} apart are read in one call, the rows between them with them: a read call
   * costs more than copying that much from the page cache.
   */
  private exact(picked: Int32Array): Float32Array {
    const m = picked.length;
    const scores = new Float32Array(m);
    const order = Int32Array.from(picked.keys()).sort(
      (a, b) => (picked[a] as number) - (picked[b] as number),
    );
    const slot = (i: number): number => picked[order[i] as number] as number;
    const rowBytes = this.stride * 4;
    if (m > this.rowsCapacity && this.rowsCapacity < this.maxRows) {
      // The old rows are left behind, as old scratch is: doubling up to a MiB bounds them.
      const capacity = Math.min(this.maxRows, Math.max(m, 2 * this.rowsCapacity, 16));
      this.rows = this.reserve(capacity * rowBytes);
      this.rowsCapacity = capacity;
    }
    const gap = Math.max(1, Math.floor(GAP_BYTES / rowBytes));
    for (let next = 0; next < m;) {
      const { addrs, out, query } = this.scratch;
      const from = next;
      let used = 0;
      while (next < m && used < this.rowsCapacity) {
        const first = slot(next);
        let last = first;
        let end = next + 1;
        for (; end < m; end++) {
          const s = slot(end);
          if (s - last > gap || s - first >= this.rowsCapacity - used) break;
          last = s;
        }
        // Ends at a candidate's row, written: the file reaches it, so the read is never short.
        this.file.read(first, last - first + 1, this.u8, this.rows + used * rowBytes);
        for (let i = next; i < end; i++)
          this.i32[addrs / 4 + i - from] = this.rows + (used + slot(i) - first) * rowBytes;
        used += last - first + 1;
        next = end;
      }
      // The scores are in `out` even when the scan renews the scratch (a scan thread given up).
      this.scan('dots', addrs, next - from, query, rowBytes, out);
      for (let i = from; i < next; i++) scores[order[i] as number] = this.f32[out / 4 + i - from] as number;
    }
    return scores;
  }

  /**
   * Scores each slot on its int8 copy with a bound on the error (quantize.ts says why it holds):
   * writes each one's upper bound to {@link highs} and returns the k-th largest lower bound, in one
   * pass (the candidates are the positions whose upper bound reaches it).
   */
  private approximate(slots: Int32Array, n: number, k: number): number {
    const { addrs, out, query, query16 } = this.scratch;
    const { dimension, stride8 } = this;
    const bound = quantizeQuery(this.f32, query / 4, dimension, this.i16, query16 / 2, stride8, this.q16);
    for (let i = 0; i < n; i++) this.i32[addrs / 4 + i] = this.address(slots[i] as number);
    this.scan('dots8', addrs, n, query16, stride8, out);
    if (this.highs.length < n) this.highs = new Float64Array(Math.max(n, 2 * this.highs.length));
    const highs = this.highs;
    const lows = this.floor.reset(k);
    const sums = out / 4;
    for (let i = 0; i < n; i++) {
      const slot = slots[i] as number;
      const scale = this.scales[slot] as number;
      const estimate = bound.scale * scale * (this.i32[sums + i] as number);
      const error = errorBound(bound, scale, this.residuals[slot] as number);
      highs[i] = estimate + error;
      lows.offer(estimate - error);
    }
    return lows.value;
  }

  /** Runs a kernel over `n` rows, shared with the scan threads when it is large. */
  private scan(
    name: 'dots' | 'dots8',
    addrs: number,
    n: number,
    q: number,
    bytes: number,
    out: number,
  ): void {
    const kernel = name === 'dots8' ? this.dots8 : this.dots;
    // A worker given up may still write into this scratch (the same values, for this scan only):
    // the next kernel calls use fresh scratch, with the query copied over.
    if (!this.threads.run(name, kernel, addrs, n, q, bytes, out)) this.renewScratch();
  }

  /** Byte address of a slot's int8 row. */
  private address(slot: number): number {
    return this.blocks.addr[slot] as number;
  }

  private ensureScratch(n: number): void {
    if (n <= this.scratch.capacity) return;
    // The old scratch is left behind: scratch is a few bytes per stored vector, doubling bounds it.
    this.scratch = this.newScratch(Math.max(n, this.scratch.capacity * 2, 1024));
  }

  /** Moves to fresh scratch of the same capacity, keeping the loaded query. */
  private renewScratch(): void {
    const old = this.scratch;
    this.scratch = this.newScratch(old.capacity);
    const bytes = new Uint8Array(this.memory.buffer);
    bytes.copyWithin(this.scratch.query, old.query, old.query + this.stride * 4);
    bytes.copyWithin(this.scratch.query16, old.query16, old.query16 + this.stride8 * 2);
  }

  private newScratch(capacity: number): VectorArena['scratch'] {
    return {
      query: this.reserve(this.stride * 4),
      query16: this.reserve(this.stride8 * 2),
      addrs: this.reserve(capacity * 4),
      out: this.reserve(capacity * 4),
      capacity,
    };
  }

  /** Bump-allocates `size` bytes (16-aligned), growing the memory as needed. */
  private reserve(size: number): number {
    const start = Math.ceil(this.brk / 16) * 16;
    const end = start + size;
    const limit = this.budget - this.outside();
    if (end > limit) throw new ArenaFullError(this.budget);
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      // Grow in steps of up to 64 MiB (half the size so far), not block by block.
      const wanted = Math.max(end, Math.min(have + Math.min(have / 2, 64 * 2 ** 20), limit));
      this.memory.grow(Math.ceil((wanted - have) / PAGE));
      this.f32 = new Float32Array(this.memory.buffer);
      this.i32 = new Int32Array(this.memory.buffer);
      this.i16 = new Int16Array(this.memory.buffer);
      this.u8 = new Uint8Array(this.memory.buffer);
    }
    this.brk = end;
    return start;
  }
}

/** A copy of `array` with room for `length` entries. */
function grown(array: Float32Array, length: number): Float32Array<ArrayBuffer> {
  const copy = new Float32Array(length);
  copy.set(array);
  return copy;
}
