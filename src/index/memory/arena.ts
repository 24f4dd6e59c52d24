/**
 * The vector arena of the in-memory index: unit vectors (float32, and an int8 copy of each) kept in
 * one WebAssembly linear memory, scored against a query by the SIMD kernels (kernel.ts) for any list
 * of slots, large lists shared with scan threads (threads.ts).
 * Slots come from blocks (blocks.ts): an account's vectors beyond its first few lie together in its
 * own blocks and are read as streams — scattered rows cost about 2.5× as much here.
 */
import { AppError, itemAt } from '../../errors.js';
import type { Logger } from '../../log.js';
import { SlotBlocks } from './blocks.js';
import { compileKernel, kernelOf, type Kernel } from './kernel.js';
import { candidates, packInt8, queryLimit, quantizeQuery } from './quantize.js';
import { ScanThreads } from './threads.js';
import { topK } from './top.js';

const PAGE = 65536;
const MAX_PAGES = 65536;

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
  /** Floats per stored vector: the dimension rounded up to the kernel's step of 8. */
  private readonly stride: number;
  private f32: Float32Array;
  private i32: Int32Array;
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
  private scratch = { query: 0, query16: 0, addrs: 0, out: 0, capacity: 0 };
  // Reused per query: allocating them anew made the garbage collector run during queries.
  private bounds = new Float64Array(0);
  private lows = new Float32Array(0);

  private constructor(
    readonly dimension: number,
    private readonly budget: number,
    private readonly memory: WebAssembly.Memory,
    private readonly dots: Kernel,
    private readonly dots8: Kernel,
    private readonly threads: ScanThreads,
  ) {
    this.stride = Math.ceil(dimension / 8) * 8;
    this.stride8 = Math.ceil(dimension / 16) * 16;
    this.q16 = queryLimit(this.stride8);
    this.f32 = new Float32Array(memory.buffer);
    this.i32 = new Int32Array(memory.buffer);
    this.i16 = new Int16Array(memory.buffer);
    this.blocks = new SlotBlocks((size) => this.reserve(size), this.stride * 4, this.stride8);
  }

  /**
   * An empty arena for vectors of `dimension`, using at most `budget` bytes of memory; large scans
   * are shared with `threads` worker threads (0: the calling thread scores everything).
   */
  static async create(
    dimension: number,
    budget: number,
    options: { readonly threads?: number; readonly log?: Logger } = {},
  ): Promise<VectorArena> {
    // Shared, so that scan threads can read the vectors in place.
    const memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES, shared: true });
    const module = await compileKernel();
    const instance = await WebAssembly.instantiate(module, { env: { memory } });
    const dots = kernelOf(instance, 'dots');
    const dots8 = kernelOf(instance, 'dots8');
    const threads = new ScanThreads(module, memory, {
      count: options.threads ?? 0,
      ...(options.log ? { log: options.log } : {}),
    });
    return new VectorArena(dimension, Math.min(budget, MAX_PAGES * PAGE), memory, dots, dots8, threads);
  }

  /** Starts the scan threads now (they otherwise start on the first large scan); resolves when ready. */
  startThreads(): Promise<void> {
    return this.threads.start();
  }

  /** Scan threads currently sharing large scans. */
  get activeThreads(): number {
    return this.threads.active;
  }

  /** Stops the scan threads (scans run on the calling thread alone after this). */
  close(): Promise<void> {
    return this.threads.close();
  }

  /**
   * Bytes of linear memory handed out (blocks and scratch). The memory is grown ahead of them, but
   * pages not yet handed out are never written, so they take address space, not resident memory.
   */
  get bytes(): number {
    return this.brk;
  }

  /** A slot for one more vector of account `pool` (space freed by any account is reused). */
  alloc(pool: string): number {
    const slot = this.blocks.alloc(pool);
    if (slot >= this.scales.length) {
      const scales = new Float32Array(Math.max(slot + 1, this.scales.length * 2));
      scales.set(this.scales);
      this.scales = scales;
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
      this.bytes + this.blocks.bytes + this.scales.byteLength + this.bounds.byteLength + this.lows.byteLength
    );
  }

  /** Slot ids in existence (per-slot arrays elsewhere need no more entries than this). */
  get capacity(): number {
    return this.blocks.capacity;
  }

  /** Stores `vector` in `slot`, scaled to unit length (a zero vector stays zero), and its int8 copy. */
  set(slot: number, vector: Float32Array): void {
    let norm = 0;
    for (let j = 0; j < this.dimension; j++) norm += (vector[j] ?? 0) ** 2;
    const unit = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    const base = this.address(slot) / 4;
    for (let j = 0; j < this.dimension; j++) this.f32[base + j] = (vector[j] ?? 0) * unit;
    this.f32.fill(0, base + this.dimension, base + this.stride);
    const words = this.address8(slot) / 4;
    this.scales[slot] = packInt8(this.f32, base, this.dimension, this.i32, words, this.stride8);
  }

  /**
   * The k slots of `slots[0..n)` most similar (cosine) to `query`, best first, exactly as scoring
   * every one in float32 would rank them. With `quantized`, every slot is first scored on its int8
   * copy — a quarter of the memory traffic — with a bound on the error of each score; only the slots
   * whose upper bound reaches the k-th best lower bound can be in the top k, and only those are
   * scored exactly.
   */
  nearest(slots: Int32Array, n: number, query: Float32Array, k: number, quantized: boolean): Scored[] {
    this.ensureScratch(n);
    this.loadQuery(query);
    if (!quantized || n <= k) {
      const scores = this.exact(slots, n);
      return topK(scores, n, k).map((index) => ({ index, score: scores[index] as number }));
    }
    const bounds = this.approximate(slots, n);
    if (this.lows.length < n) this.lows = new Float32Array(Math.max(n, this.lows.length * 2));
    const kept = candidates(bounds, n, k, this.lows);
    const picked = Int32Array.from(kept, (i) => slots[i] as number);
    const scores = this.exact(picked, picked.length);
    return topK(scores, picked.length, k).map((c) => ({
      index: itemAt(kept, c),
      score: scores[c] as number,
    }));
  }

  /** Writes the unit query (float32) and its int16 copy into scratch; returns nothing. */
  private loadQuery(query: Float32Array): void {
    let norm = 0;
    for (let j = 0; j < this.dimension; j++) norm += (query[j] ?? 0) ** 2;
    const unit = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    const q = this.scratch.query / 4;
    for (let j = 0; j < this.dimension; j++) this.f32[q + j] = (query[j] ?? 0) * unit;
    this.f32.fill(0, q + this.dimension, q + this.stride);
  }

  /** Float32 cosine of the query in scratch with `slots[0..n)`; a view valid until the next call. */
  private exact(slots: Int32Array, n: number): Float32Array {
    const { addrs, out, query } = this.scratch;
    for (let i = 0; i < n; i++) this.i32[addrs / 4 + i] = this.address(slots[i] as number);
    this.scan('dots', addrs, n, query, this.stride * 4, out);
    return this.f32.subarray(out / 4, out / 4 + n);
  }

  /**
   * For each slot, the int8 estimate of its cosine with the query and a bound on its error, as pairs
   * (estimate, bound) (quantize.ts says why the bound holds).
   */
  private approximate(slots: Int32Array, n: number): Float64Array {
    const { addrs, out, query, query16 } = this.scratch;
    const { dimension, stride8 } = this;
    const bound = quantizeQuery(this.f32, query / 4, dimension, this.i16, query16 / 2, stride8, this.q16);
    const { scale: sq, perScale, constant } = bound;
    for (let i = 0; i < n; i++) this.i32[addrs / 4 + i] = this.address8(slots[i] as number);
    this.scan('dots8', addrs, n, query16, stride8, out);
    if (this.bounds.length < 2 * n) this.bounds = new Float64Array(2 * Math.max(n, this.bounds.length));
    for (let i = 0; i < n; i++) {
      const scale = this.scales[slots[i] as number] as number;
      this.bounds[2 * i] = sq * scale * (this.i32[out / 4 + i] as number);
      this.bounds[2 * i + 1] = scale * perScale + constant;
    }
    return this.bounds;
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

  private address(slot: number): number {
    return this.blocks.addr[slot] as number;
  }

  private address8(slot: number): number {
    return this.blocks.addr8[slot] as number;
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
    }
    this.brk = end;
    return start;
  }
}
