/**
 * The durable index job queue. A job is appended to `{DATA_DIR}/index/queue.jsonl` as one JSON line and
 * fsynced before `enqueue` resolves (concurrent enqueues share one fsync). The sequence number of the
 * last finished job is kept in `queue.ack` (written atomically); at start every journal job after it
 * is pending again. Once everything is acknowledged the journal is truncated so it does not grow.
 * Each pending job's enqueue time is kept in memory (a job replayed at start counts from the open),
 * for the index lag. Appends and the replay go through storage/jsonl.ts: a line torn by a crash or
 * a full disk is cut off or skipped, and the next append never glues onto it.
 */
import { mkdir, open, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { isCanonicalUri, type CanonicalUri } from '../policy/index.js';
import { writeFileAtomic } from '../storage/atomic.js';
import { appendLines, cutTornTail, readJsonl } from '../storage/jsonl.js';
import { DIR_MODE, FILE_MODE } from '../storage/modes.js';

/** A job's URI: canonical when enqueued, and checked again (and branded) when read back. */
const uriSchema = z.custom<CanonicalUri>(
  (value) => typeof value === 'string' && isCanonicalUri(value),
  'expected a canonical viking:// uri',
);

/**
 * Every job names its account; the PostgreSQL journal of a server with a registry also stamps it with
 * the account's epoch (src/storage/pg/epochs.ts), which fences its records off a later incarnation.
 */
const accountOf = { account: z.string(), epoch: z.number().int().positive().optional() };

export const jobSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('file'), ...accountOf, uri: uriSchema }),
  z.object({ type: z.literal('remove'), ...accountOf, uri: uriSchema }),
  z.object({ type: z.literal('move'), ...accountOf, from: uriSchema, to: uriSchema }),
  z.object({
    type: z.literal('message'),
    ...accountOf,
    session_id: z.string(),
    message_id: z.string(),
  }),
  // An account's records re-synced from its files: after the account was deleted, or (`rebuild`) to
  // rebuild its index (npm run reindex, an index lost or behind the filesystem).
  z.object({ type: z.literal('account'), ...accountOf, rebuild: z.literal(true).optional() }),
]);
export type Job = z.infer<typeof jobSchema>;

const entrySchema = z.object({ seq: z.number().int().positive(), job: jobSchema });
export type QueueEntry = z.infer<typeof entrySchema>;

/** Truncate the journal once it is fully acknowledged and larger than this. */
const ROTATE_BYTES = 256 * 1024;

export function queueDir(dataDir: string): string {
  return join(dataDir, 'index');
}

interface PendingWrite {
  readonly seq: number;
  readonly line: string;
  readonly done: (error?: Error) => void;
}

export class JobQueue {
  private readonly pending: QueueEntry[] = [];
  /** When each pending job was enqueued (ms since the epoch), by sequence number. */
  private readonly enqueuedAt = new Map<number, number>();
  private writes: PendingWrite[] = [];
  private flushing: Promise<void> | null = null;
  private nextSeq = 1;
  private journalBytes = 0;
  private lastWritten = 0;
  private acked = 0;
  private rotateWanted = false;
  private listener: (() => void) | null = null;

  private constructor(
    private readonly dir: string,
    private readonly journal: FileHandle,
  ) {}

  /** Opens the journal and loads every job not yet acknowledged (the replay after a crash). */
  static async open(dataDir: string): Promise<JobQueue> {
    const dir = queueDir(dataDir);
    await mkdir(dir, { recursive: true, mode: DIR_MODE });
    const acked = await readAck(dir);
    const entries = (await readJsonl(join(dir, 'queue.jsonl'), entrySchema)).sort((a, b) => a.seq - b.seq);
    const handle = await open(join(dir, 'queue.jsonl'), 'a+', FILE_MODE);
    const queue = new JobQueue(dir, handle);
    // A line torn by a crash is dropped (it was skipped above); on a read-only disk it stays.
    queue.journalBytes = await cutTornTail(handle).catch(async () => (await handle.stat()).size);
    queue.pending.push(...entries.filter((e) => e.seq > acked));
    const now = Date.now();
    for (const e of queue.pending) queue.enqueuedAt.set(e.seq, now);
    queue.acked = acked;
    queue.lastWritten = entries.reduce((max, e) => Math.max(max, e.seq), acked);
    queue.nextSeq = queue.lastWritten + 1;
    return queue;
  }

  /** Called whenever a job becomes pending (the worker's wake-up). */
  onJob(listener: () => void): void {
    this.listener = listener;
  }

  get depth(): number {
    return this.pending.length;
  }

  /** When the oldest pending job was enqueued (ms since the epoch), or null if none is pending. */
  get oldestEnqueuedAt(): number | null {
    const first = this.pending[0];
    return first === undefined ? null : (this.enqueuedAt.get(first.seq) ?? null);
  }

  /** When the oldest pending job `accept` selects was enqueued (ms since the epoch), or null if none. */
  oldestEnqueuedAtOf(accept: (job: Job) => boolean): number | null {
    const first = this.pending.find((e) => accept(e.job));
    return first === undefined ? null : (this.enqueuedAt.get(first.seq) ?? null);
  }

  /** The highest sequence number finished so far (acknowledged, here or before a restart). */
  get ackedSeq(): number {
    return this.acked;
  }

  /** Sequence numbers of the pending jobs `accept` selects (all of them without it). */
  pendingSeqs(accept: (job: Job) => boolean = () => true): number[] {
    return this.pending.filter((e) => accept(e.job)).map((e) => e.seq);
  }

  /** Appends a job durably; resolves with its sequence number once it is on disk. */
  async enqueue(job: Job): Promise<number> {
    const valid = jobSchema.parse(job);
    const entry: QueueEntry = { seq: this.nextSeq++, job: valid };
    const at = Date.now();
    await new Promise<void>((resolve, reject) => {
      this.writes.push({
        seq: entry.seq,
        line: JSON.stringify(entry),
        done: (error) => (error === undefined ? resolve() : reject(error)),
      });
      this.flushing ??= this.flush();
    });
    this.insertPending(entry);
    this.enqueuedAt.set(entry.seq, at);
    this.listener?.();
    return entry.seq;
  }

  /** Keeps `pending` sorted by seq; entries nearly always arrive in order, so this is O(1). */
  private insertPending(entry: QueueEntry): void {
    let i = this.pending.length;
    while (i > 0 && (this.pending[i - 1]?.seq ?? 0) > entry.seq) i--;
    this.pending.splice(i, 0, entry);
  }

  /**
   * Group commit: every line waiting is written with one write and one fsync. This loop is the only
   * code that touches the journal, so truncation can never race an append.
   */
  private async flush(): Promise<void> {
    while (this.writes.length > 0 || this.rotateWanted) {
      if (this.writes.length === 0) {
        await this.rotateIfDone();
        continue;
      }
      const batch = this.writes;
      this.writes = [];
      try {
        this.journalBytes = await appendLines(
          this.journal,
          batch.map((w) => w.line),
        );
        this.lastWritten = Math.max(this.lastWritten, ...batch.map((w) => w.seq));
        for (const w of batch) w.done();
      } catch (error) {
        const failure = error instanceof Error ? error : new Error('journal write failed');
        for (const w of batch) w.done(failure);
      }
    }
    this.flushing = null;
  }

  private async rotateIfDone(): Promise<void> {
    this.rotateWanted = false;
    if (this.lastWritten > this.acked || this.journalBytes <= ROTATE_BYTES) return;
    try {
      await this.journal.truncate(0);
      await this.journal.sync();
      this.journalBytes = 0;
    } catch {
      // A read-only disk: the journal stays as it is (every job in it is acknowledged) until a later
      // rotation succeeds. The flush loop must go on, or appends would wait forever.
      this.journalBytes = (await this.journal.stat().catch(() => null))?.size ?? this.journalBytes;
    }
  }

  /** Up to `n` of the oldest pending jobs (they stay pending until acknowledged). */
  peek(n: number): QueueEntry[] {
    return this.pending.slice(0, n);
  }

  /** Marks every job up to `seq` as done, durably. */
  async ack(seq: number): Promise<void> {
    await writeFileAtomic(join(this.dir, 'queue.ack'), String(seq));
    this.acked = Math.max(this.acked, seq);
    let done = 0;
    while (done < this.pending.length && (this.pending[done]?.seq ?? Infinity) <= seq) done++;
    for (const entry of this.pending.splice(0, done)) this.enqueuedAt.delete(entry.seq);
    if (this.lastWritten <= this.acked && this.journalBytes > ROTATE_BYTES) {
      this.rotateWanted = true;
      this.flushing ??= this.flush();
    }
  }

  async close(): Promise<void> {
    await this.flushing;
    await this.journal.close();
  }
}

async function readAck(dir: string): Promise<number> {
  try {
    const value = Number((await readFile(join(dir, 'queue.ack'), 'utf8')).trim());
    return Number.isInteger(value) && value >= 0 ? value : 0;
  } catch {
    return 0;
  }
}
