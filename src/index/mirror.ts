/**
 * The store's in-memory mirror: a {@link MemoryIndex} derived from the records table, never the other
 * way round. It is loaded from a pinned table version in the background at open (writes go on
 * meanwhile), caught up by the store from the table ({@link Mirror.patch}) before it answers
 * searches, updated by every write of this process after LanceDB accepted it, patched from the table
 * after a failed write, and given up (searches fall back to LanceDB) when it would pass its memory
 * budget. It assumes this process is the table's only writer (the DATA_DIR lock). In distributed
 * mode PgCache (pg-cache.ts) fills it from PostgreSQL instead ({@link loadRecords}, {@link apply}),
 * in time slices as well.
 */
import type { Logger } from '../log.js';
import { HIT_COLUMNS } from '../policy/index.js';
import { ArenaFullError } from './memory/arena.js';
import { MemoryIndex, type MemoryRow, type Prepared } from './memory/index.js';
import { restoreSnapshot, writeSnapshot, type SnapshotKey } from './memory/snapshot.js';
import { readColumn, readVectors, type ArrowBatch } from './arrow-read.js';
import type { IndexRecord } from '../policy/index.js';
import { forEachInSlices, type SliceOptions } from '../time-slices.js';

/** Records the mirror prepares in one step of a time slice (a few hundred microseconds of work). */
const PREPARE_STEP = 64;

/** Upserted records prepared for the mirror, not yet visible in it. */
export interface Staged {
  readonly index: MemoryIndex;
  readonly chunks: readonly Prepared[];
}

/**
 * `ready`: answers searches; `loading`: being filled from the table or caught up with the writes made
 * meanwhile; `deferred`: set aside during a bulk load (rebuilt from the table when it ends); `off`:
 * disabled or given up.
 */
export type MirrorState = 'ready' | 'loading' | 'deferred' | 'off';

export interface MirrorOptions {
  readonly dimension: number;
  /** Bytes the mirror may use; 0 disables it. */
  readonly budgetBytes: number;
  /** Worker threads that share large scans with the calling thread (0: none). */
  readonly threads: number;
  /** Where the index's vector file is created (and at once unlinked); default: the temporary directory. */
  readonly vectorDir?: string;
  readonly log: Logger;
  /** How a write's preparing and committing yield the event loop (tests: every step, observed). */
  readonly slices?: SliceOptions;
}

export class Mirror {
  private index: MemoryIndex | null = null;
  private current: MirrorState = 'off';
  private reason = 'disabled';
  /** The index a load filled, until it is caught up and ready. */
  private filled: MemoryIndex | null = null;
  private loadStarted = 0;
  /** Set by {@link close}: no load starts afterwards. */
  private closed = false;
  /** Where the index came from, and the milliseconds until it answered (for status). */
  private origin: { from: 'snapshot' | 'table'; ms: number } | null = null;
  private source: 'snapshot' | 'table' = 'table';

  constructor(private readonly options: MirrorOptions) {}

  get state(): MirrorState {
    return this.current;
  }

  /** The index when it can answer searches. */
  get ready(): MemoryIndex | null {
    return this.current === 'ready' ? this.index : null;
  }

  /** What status reports about the mirror. */
  describe(): Record<string, unknown> {
    const index = this.index;
    return {
      state: this.current,
      ...(this.current === 'off' ? { reason: this.reason } : {}),
      records: index?.size ?? 0,
      memory_mb: Math.round((index?.bytes ?? 0) / 2 ** 20),
      budget_mb: Math.round(this.options.budgetBytes / 2 ** 20),
      // The float32 vectors: a file (unlinked) in the page cache, not counted in memory_mb.
      vector_file_mb: Math.round((index?.fileBytes ?? 0) / 2 ** 20),
      scan_threads: this.options.threads,
      ...(this.origin === null ? {} : { loaded_from: this.origin.from, load_ms: this.origin.ms }),
    };
  }

  /**
   * Fills a new index from rows of a pinned table version. It does not answer searches yet: the
   * store catches it up with the writes made meanwhile ({@link patch}), then calls {@link markReady}.
   */
  load(batches: AsyncIterable<ArrowBatch>): Promise<void> {
    return this.fill(batches, (index, batch) => addBatch(index, batch, this.options.dimension));
  }

  /**
   * Restores the index from the snapshot in `dir` if it reflects exactly `key` (else logs why not);
   * true when it did. Like {@link load}, it does not answer searches until caught up and marked
   * ready. The snapshot is gone afterwards either way (a snapshot is used at most once).
   */
  async restore(dir: string, key: SnapshotKey): Promise<boolean> {
    if (this.options.budgetBytes <= 0 || this.closed) return false;
    this.current = 'loading';
    this.filled = null;
    this.loadStarted = Date.now();
    const { dimension, budgetBytes, threads, vectorDir, log } = this.options;
    const options = { threads, log, ...(vectorDir === undefined ? {} : { vectorDir }) };
    let index: MemoryIndex;
    try {
      index = await restoreSnapshot(dir, key, dimension, budgetBytes, options);
    } catch (error) {
      log.warn(
        { err: error, reason: (error as Error).message },
        'mirror snapshot refused and deleted; loading from the table',
      );
      return false;
    }
    if (this.closed) {
      await index.close();
      return false;
    }
    await this.replace(index);
    this.filled = index;
    this.source = 'snapshot';
    return true;
  }

  /**
   * Writes the ready index to a snapshot in `dir`, reflecting `key` (the caller holds the write lock
   * and has checked the index reflects the table's current version), abandoned if it is not done by
   * `deadline` (epoch milliseconds). Logs what it wrote or why not.
   */
  async snapshot(dir: string, key: SnapshotKey, deadline = Number.POSITIVE_INFINITY): Promise<void> {
    const index = this.ready;
    if (index === null) return;
    const started = Date.now();
    try {
      const bytes = await writeSnapshot(index, dir, key, deadline);
      this.options.log.info(
        {
          records: index.size,
          mb: Math.round(bytes / 2 ** 20),
          ms: Date.now() - started,
          version: key.version,
        },
        'mirror snapshot written',
      );
    } catch (error) {
      this.options.log.warn({ err: error }, 'mirror snapshot not written');
    }
  }

  /**
   * {@link load} from pages of records (distributed mode's cache reads PostgreSQL's rows), each page
   * prepared and committed in time slices: no search reads the index before {@link markReady}.
   */
  loadRecords(pages: AsyncIterable<readonly IndexRecord[]>): Promise<void> {
    return this.fill(pages, (index, records) =>
      inSteps(records.length, this.options.slices, (from, to) => {
        // Closed or replaced meanwhile: the rest is not added (a closed index refuses it).
        if (this.index === index) index.commit(prepareRecords(index, records.slice(from, to)));
      }),
    );
  }

  /**
   * Applies a page of changes read from the store of record to the ready index (distributed mode's
   * cache): the ids `removed` and those of `upserted` go, `upserted` come in — prepared, then
   * committed with the removals in one switch, both in time slices ({@link prepare},
   * {@link MemoryIndex.commitInSlices}), so a search sees all of the page or none of it. Resolves
   * once the page is visible. The cache awaits each page before the next, and nothing else writes
   * its index. Over budget (or failing) it gives the mirror up.
   */
  async apply(upserted: readonly IndexRecord[], removed: readonly string[]): Promise<void> {
    const staged = await this.prepare(upserted);
    await this.commit(staged, removed);
  }

  private async fill<T>(
    source: AsyncIterable<T>,
    add: (index: MemoryIndex, item: T) => void | Promise<void>,
  ): Promise<void> {
    if (this.options.budgetBytes <= 0 || this.closed) return;
    this.current = 'loading';
    this.filled = null;
    this.loadStarted = Date.now();
    try {
      const { dimension, budgetBytes, threads, vectorDir, log } = this.options;
      const options = { threads, log, ...(vectorDir === undefined ? {} : { vectorDir }) };
      const index = await MemoryIndex.create(dimension, budgetBytes, options);
      await this.replace(index);
      this.source = 'table';
      for await (const item of source) {
        // Closed (or replaced) meanwhile: the rest of the table is not read.
        if (this.index !== index) return;
        await add(index, item);
      }
      if (this.index !== index || this.current !== 'loading') return;
      // Built record by record, the tree's nodes lie scattered in the heap; rebuilt in the order a
      // filter walks them, a ROOT filter over 222k records took 0.5 ms instead of 1.6 (stop 38).
      await index.compactTree();
      if (this.index === index && this.current === 'loading') this.filled = index;
    } catch (error) {
      this.giveUp(error instanceof ArenaFullError ? 'over budget' : 'load failed', error);
    }
  }

  /**
   * Reports the mirror as loading (from before the store pins the version it loads); false when it
   * is disabled or closed (nothing to load).
   */
  starting(): boolean {
    if (this.options.budgetBytes <= 0 || this.closed) return false;
    if (this.current !== 'ready') this.current = 'loading';
    return true;
  }

  /** The index {@link load} filled, while it waits to be caught up (null otherwise). */
  get loaded(): MemoryIndex | null {
    return this.current === 'loading' && this.index === this.filled ? this.filled : null;
  }

  /** Lets the loaded (and caught-up) index answer searches. */
  markReady(): void {
    const index = this.loaded;
    if (index === null) return;
    this.current = 'ready';
    this.filled = null;
    const ms = Date.now() - this.loadStarted;
    this.origin = { from: this.source, ms };
    this.options.log.info(
      { records: index.size, memory_mb: Math.round(index.bytes / 2 ** 20), ms },
      this.source === 'snapshot'
        ? 'in-memory search index restored from snapshot'
        : 'in-memory search index loaded',
    );
  }

  /**
   * Makes `index` agree with the table about `ids`: `rows` are the table's current rows of those ids
   * (read back from it); an id it no longer holds is removed. Synchronous, so no search sees a
   * half-patched record. Gives the mirror up when the rows do not fit.
   */
  patch(index: MemoryIndex, ids: Iterable<string>, rows: readonly ArrowBatch[]): void {
    if (this.index !== index) return;
    try {
      for (const id of ids) index.remove(id);
      for (const batch of rows) addBatch(index, batch, this.options.dimension);
    } catch (error) {
      this.giveUp(error instanceof ArenaFullError ? 'over budget' : 'patch failed', error);
    }
  }

  /**
   * Does the mirror's work for upserted records while LanceDB writes them — in time slices, yielding
   * to the event loop between them so the write (and searches) go on meanwhile — without making them
   * visible: {@link commit} does that once LanceDB accepted them, {@link discard} if it did not.
   */
  async prepare(records: readonly IndexRecord[]): Promise<Staged | null> {
    const index = this.ready;
    if (index === null) return null;
    const chunks: Prepared[] = [];
    let replaced = false;
    try {
      await inSteps(records.length, this.options.slices, (from, to) => {
        replaced ||= this.ready !== index;
        if (!replaced) chunks.push(prepareRecords(index, records.slice(from, to)));
      });
    } catch (error) {
      index.discard(...chunks);
      this.giveUp(error instanceof ArenaFullError ? 'over budget' : 'write failed', error);
      return null;
    }
    return replaced ? null : { index, chunks };
  }

  /**
   * Makes prepared records visible (after LanceDB accepted them), and takes the ids `removed` out in
   * the same switch: all at once for searches, but placed and unplaced in time slices
   * ({@link MemoryIndex.commitInSlices}).
   */
  async commit(staged: Staged | null, removed: readonly string[] = []): Promise<void> {
    if (staged === null || this.ready !== staged.index) return;
    try {
      await staged.index.commitInSlices(staged.chunks, this.options.slices, removed);
    } catch (error) {
      this.giveUp('write failed', error);
    }
  }

  /** Gives back what {@link prepare} reserved, for records LanceDB did not accept. */
  discard(staged: Staged | null): void {
    if (staged === null || this.ready !== staged.index) return;
    staged.index.discard(...staged.chunks);
  }

  /** Sets the mirror aside for a bulk load: searches use LanceDB until it is rebuilt ({@link load}). */
  defer(): void {
    if (this.current === 'off') return;
    this.current = 'deferred';
    this.filled = null;
  }

  /** Mirrors deleted records (after LanceDB deleted them). */
  remove(ids: readonly string[]): void {
    const index = this.ready;
    if (index === null) return;
    for (const id of ids) index.remove(id);
  }

  /** Gives the mirror up after it failed under a search (its vector file, or scratch over budget). */
  failedSearch(error: unknown): void {
    this.giveUp(error instanceof ArenaFullError ? 'over budget' : 'vector file failed', error);
  }

  /** Stops answering from memory and frees it; searches use LanceDB from now on. */
  giveUp(reason: string, error?: unknown): void {
    if (this.current === 'off') return;
    this.options.log.warn(
      { err: error, reason, budget_mb: Math.round(this.options.budgetBytes / 2 ** 20) },
      'in-memory search index disabled; searches read the records table',
    );
    void this.replace(null);
    this.current = 'off';
    this.reason = reason;
  }

  /** Stops the mirror's scan threads; searches use LanceDB from now on. */
  async close(): Promise<void> {
    this.closed = true;
    this.current = 'off';
    this.reason = 'closed';
    await this.replace(null);
  }

  /** Sets the index, stopping the threads of the one it replaces. */
  private replace(index: MemoryIndex | null): Promise<void> {
    const old = this.index;
    this.index = index;
    return old === null || old === index ? Promise.resolve() : old.close();
  }
}

function addBatch(index: MemoryIndex, batch: ArrowBatch, dimension: number): void {
  const columns = HIT_COLUMNS.map((name) => readColumn(batch.getChild(name), batch.numRows));
  const vectors = readVectors(batch.getChild('vector'), dimension);
  const texts = readColumn(batch.getChild('text'), batch.numRows);
  if (vectors.length !== batch.numRows) throw new Error('vector column length differs from the batch');
  const rows: MemoryRow[] = [];
  for (let i = 0; i < batch.numRows; i++) {
    const row: Record<string, unknown> = {};
    HIT_COLUMNS.forEach((name, c) => (row[name] = columns[c]?.[i]));
    rows.push(row as unknown as MemoryRow);
  }
  const text = texts.map((t) => (typeof t === 'string' ? t : ''));
  index.commit(index.prepare(rows, vectors, text));
}

/** Runs `step` on `[from, to)` ranges of `count` items, {@link PREPARE_STEP} at a time, in time slices. */
function inSteps(
  count: number,
  slices: SliceOptions | undefined,
  step: (from: number, to: number) => void,
): Promise<void> {
  return forEachInSlices(
    Math.ceil(count / PREPARE_STEP),
    (i) => step(i * PREPARE_STEP, Math.min(count, (i + 1) * PREPARE_STEP)),
    slices,
  );
}

function prepareRecords(index: MemoryIndex, records: readonly IndexRecord[]): Prepared {
  // The index reads a record's hit fields into its columns and keeps nothing of the object.
  return index.prepare(
    records,
    records.map((r) => r.vector),
    records.map((r) => r.text),
  );
}
