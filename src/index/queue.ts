/**
 * The durable index job queue. A job is appended to `{DATA_DIR}/index/queue.jsonl` as one JSON line and
 * fsynced before `enqueue` resolves (concurrent enqueues share one fsync). The sequence number of the
 * last finished job is kept in `queue.ack` (written atomically); at start every journal job after it
 * is pending again. Once everything is acknowledged the journal is truncated so it does not grow.
 */
import { mkdir, open, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../storage/atomic.js';

const jobSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('file'), account: z.string(), uri: z.string() }),
  z.object({ type: z.literal('remove'), account: z.string(), uri: z.string() }),
  z.object({ type: z.literal('move'), account: z.string(), from: z.string(), to: z.string() }),
  z.object({
    type: z.literal('message'),
    account: z.string(),
    session_id: z.string(),
    message_id: z.string(),
  }),
  z.object({ type: z.literal('account'), account: z.string() }),
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
    await mkdir(dir, { recursive: true });
    const acked = await readAck(dir);
    const entries = await readJournal(join(dir, 'queue.jsonl'));
    const handle = await open(join(dir, 'queue.jsonl'), 'a');
    const queue = new JobQueue(dir, handle);
    queue.journalBytes = (await handle.stat()).size;
    queue.pending.push(...entries.filter((e) => e.seq > acked));
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

  /** Appends a job durably; resolves once it is on disk. */
  async enqueue(job: Job): Promise<void> {
    const valid = jobSchema.parse(job);
    const entry: QueueEntry = { seq: this.nextSeq++, job: valid };
    await new Promise<void>((resolve, reject) => {
      this.writes.push({
        seq: entry.seq,
        line: `${JSON.stringify(entry)}\n`,
        done: (error) => (error === undefined ? resolve() : reject(error)),
      });
      this.flushing ??= this.flush();
    });
    this.pending.push(entry);
    this.pending.sort((a, b) => a.seq - b.seq);
    this.listener?.();
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
      const text = batch.map((w) => w.line).join('');
      try {
        await this.journal.appendFile(text);
        await this.journal.datasync();
        this.journalBytes += Buffer.byteLength(text);
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
    await this.journal.truncate(0);
    await this.journal.sync();
    this.journalBytes = 0;
  }

  /** Up to `n` of the oldest pending jobs (they stay pending until acknowledged). */
  peek(n: number): QueueEntry[] {
    return this.pending.slice(0, n);
  }

  /** Marks every job up to `seq` as done, durably. */
  async ack(seq: number): Promise<void> {
    await writeFileAtomic(join(this.dir, 'queue.ack'), String(seq));
    this.acked = Math.max(this.acked, seq);
    while (this.pending.length > 0 && (this.pending[0]?.seq ?? Infinity) <= seq) this.pending.shift();
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

/** Journal entries in order; a torn or unreadable line (a crash mid-append) is skipped. */
async function readJournal(path: string): Promise<QueueEntry[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return [];
  }
  const entries: QueueEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim().length === 0) continue;
    try {
      const parsed = entrySchema.safeParse(JSON.parse(line));
      if (parsed.success) entries.push(parsed.data);
    } catch {
      continue;
    }
  }
  return entries.sort((a, b) => a.seq - b.seq);
}
