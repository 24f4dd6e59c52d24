/**
 * The parsing tasks run in worker threads (worker-pool.ts, parse-worker.ts), and the one place their
 * outcomes become AppErrors: each limit a document or archive meets is a 4xx naming that limit, a
 * task past its deadline or out of memory is a 413 naming that bound, and too many conversions at
 * once a 429. The pool is one per process, started on first use with the settings the server was
 * configured with (src/config.ts, {@link configureParsePool}); its workers exit with the process.
 * Each task is charged to the account whose request runs it ({@link parsingFor}): waiting tasks are
 * taken fairly across accounts, and one account may only have so many waiting.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { AppError } from '../errors.js';
import { PARSE_WORKER_SOURCE, workerModules } from './parse-worker.js';
import { PoolFailure, WorkerPool } from './worker-pool.js';

/** The bounds of converting one document (README "Archive and document limits"). */
export interface DocumentLimits {
  /** Pages of a PDF (413 above). */
  readonly maxPdfPages: number;
  /** Bytes of text a PDF may give, checked after each page (413 above). */
  readonly maxTextBytes: number;
  /** How deep HTML elements may nest (400 above). */
  readonly maxHtmlDepth: number;
  /** How long converting one document may take (413 past it). */
  readonly timeoutMs: number;
  /** How long converting all the documents of one archive may take (413 past it). */
  readonly archiveTimeoutMs: number;
  /**
   * Bytes of text all the documents of one archive may convert to together (413 past it): the text
   * is held until the import writes it, and a small PDF can give up to `maxTextBytes` of text.
   */
  readonly maxArchiveTextBytes: number;
}

export const DEFAULT_DOCUMENT_LIMITS: DocumentLimits = {
  maxPdfPages: 2000,
  maxTextBytes: 10 * 1024 * 1024,
  maxHtmlDepth: 1000,
  timeoutMs: 20_000,
  archiveTimeoutMs: 60_000,
  maxArchiveTextBytes: 64 * 1024 * 1024,
};

/** The time budget the conversions of one archive share (see {@link archiveBudget}). */
export interface ArchiveBudget {
  /** The limits of the next document: its deadline is at most what is left (413 if nothing is). */
  next(): DocumentLimits;
  /** Throws the archive's 413 once the budget is spent (a conversion it cut short fails as such). */
  check(): void;
}

/**
 * One budget for all the conversions of an archive, so an archive of many costly documents cannot
 * hold the workers for documents × timeoutMs.
 */
export function archiveBudget(limits: DocumentLimits): ArchiveBudget {
  const until = performance.now() + limits.archiveTimeoutMs;
  const left = () => Math.ceil(until - performance.now());
  const check = () => {
    if (left() > 0) return;
    const seconds = limits.archiveTimeoutMs / 1000;
    throw new AppError(
      'PAYLOAD_TOO_LARGE',
      `converting the documents of an archive may take at most ${seconds} s`,
      {
        timeout_s: seconds,
      },
    );
  };
  return {
    next: () => {
      check();
      return { ...limits, timeoutMs: Math.min(limits.timeoutMs, left()) };
    },
    check,
  };
}

/** The parse pool's bounds (settings PARSE_WORKERS, PARSE_QUEUE, … in src/config.ts). */
export interface ParsePoolSettings {
  /** Conversions running at once, one per worker thread. */
  readonly workers: number;
  /** Conversions waiting for a worker, in all; past it a 429. */
  readonly maxQueue: number;
  /** Conversions of one account waiting for a worker; past it a 429 naming this limit. */
  readonly maxQueuePerAccount: number;
  /** How long a conversion may wait for a worker before it is a 429. */
  readonly maxWaitMs: number;
  /** Heap of each worker: a task needing more is refused (413) without touching the server's. */
  readonly memoryMb: number;
}

export const DEFAULT_PARSE_POOL: ParsePoolSettings = {
  // One core stays for the event loop.
  workers: Math.max(1, Math.min(4, availableParallelism() - 1)),
  maxQueue: 32,
  maxQueuePerAccount: 8,
  maxWaitMs: 10_000,
  memoryMb: 256,
};

let settings = DEFAULT_PARSE_POOL;
let pool: WorkerPool | undefined;

/**
 * Sets the bounds of the parse pool (the server does, from its configuration). A pool already
 * started with other bounds is replaced: closed now if idle, else left to finish what it runs (its
 * idle workers do not keep the process alive).
 */
export function configureParsePool(given: ParsePoolSettings): void {
  // Only the pool's own fields: a caller may pass a wider object (the configuration's parse settings).
  const { workers, maxQueue, maxQueuePerAccount, maxWaitMs, memoryMb } = given;
  const next = { workers, maxQueue, maxQueuePerAccount, maxWaitMs, memoryMb };
  if (JSON.stringify(next) === JSON.stringify(settings)) return;
  settings = next;
  const old = pool;
  pool = undefined;
  if (old !== undefined && old.load.running + old.load.queued === 0) void old.close();
}

function parsePool(): WorkerPool {
  pool ??= new WorkerPool({
    source: PARSE_WORKER_SOURCE,
    workerData: { modules: workerModules() },
    size: settings.workers,
    maxQueue: settings.maxQueue,
    maxQueuePerKey: settings.maxQueuePerAccount,
    maxWaitMs: settings.maxWaitMs,
    memoryMb: settings.memoryMb,
  });
  return pool;
}

/** The account the parse tasks started inside {@link parsingFor} are charged to. */
const chargedTo = new AsyncLocalStorage<string>();

/**
 * Runs `work` with every parse task it starts charged to `account` (fair turns, per-account cap).
 * @example await parsingFor(ctx.effective.account_id, () => readZip(bytes, limits))
 */
export function parsingFor<T>(account: string, work: () => Promise<T>): Promise<T> {
  return chargedTo.run(account, work);
}

/** What a worker reported as a refusal (see parse-worker.ts). */
const refusalSchema = z.object({
  refused: z.string(),
  entry: z.number().optional(),
  page: z.number().optional(),
  pages: z.number().optional(),
  inflated: z.number().optional(),
  message: z.string().optional(),
});
export type Refusal = z.infer<typeof refusalSchema>;

/** A task's refusal by the worker (the caller names the limit). */
export class TaskRefused extends Error {
  constructor(readonly refusal: Refusal) {
    super(`refused: ${refusal.refused}`);
    this.name = 'TaskRefused';
  }
}

/** The error of a pool failure: `what` is the thing converted ("the PDF a.pdf", "the archive"). */
function poolError(failure: PoolFailure, what: string, timeoutMs: number, file?: string): AppError {
  const subject = file === undefined ? {} : { file };
  switch (failure.kind) {
    case 'deadline':
      return new AppError('PAYLOAD_TOO_LARGE', `${what} took longer than ${timeoutMs / 1000} s to read`, {
        ...subject,
        timeout_s: timeoutMs / 1000,
      });
    case 'memory':
      return new AppError('PAYLOAD_TOO_LARGE', `${what} needs more than ${settings.memoryMb} MiB to read`, {
        ...subject,
        max_memory_mb: settings.memoryMb,
      });
    case 'busy':
      return new AppError('RESOURCE_EXHAUSTED', 'too many documents are being converted; retry shortly', {
        retry_after_s: 1,
      });
    case 'key_busy': {
      const limit = settings.maxQueuePerAccount;
      return new AppError(
        'RESOURCE_EXHAUSTED',
        `too many documents of this account are waiting to be converted (at most ${limit}); retry shortly`,
        { limit, retry_after_s: 1 },
      );
    }
    case 'crashed':
      return new AppError('INTERNAL', `${what} could not be read: ${failure.message}`);
  }
}

/**
 * Runs one task in a parse worker: its value, or TaskRefused, or the AppError of a pool failure.
 * @example await runTask({ kind: 'html', text, maxDepth: 1000 }, 'the HTML a.html', { timeoutMs: 20_000 })
 */
export async function runTask(
  task: { readonly kind: 'inflate' | 'pdf' | 'html' } & Record<string, unknown>,
  what: string,
  options: { timeoutMs: number; file?: string },
): Promise<unknown> {
  try {
    const key = chargedTo.getStore() ?? '';
    const reply = await parsePool().run(task, { timeoutMs: options.timeoutMs, key });
    if (reply.ok) return reply.value;
    throw new TaskRefused(refusalSchema.parse(reply.error));
  } catch (error) {
    if (error instanceof PoolFailure) throw poolError(error, what, options.timeoutMs, options.file);
    throw error;
  }
}

/** The Markdown of an HTML text, converted in a worker within `limits`. */
export async function htmlToMarkdown(name: string, text: string, limits: DocumentLimits): Promise<string> {
  const task = { kind: 'html' as const, text, maxDepth: limits.maxHtmlDepth };
  try {
    return z.string().parse(await runTask(task, `the HTML ${name}`, { ...limits, file: name }));
  } catch (error) {
    if (!(error instanceof TaskRefused)) throw error;
    if (error.refusal.refused === 'depth') {
      const max = limits.maxHtmlDepth;
      throw new AppError('INVALID_ARGUMENT', `HTML may nest elements at most ${max} levels deep (${name})`, {
        file: name,
        limit: max,
      });
    }
    throw new AppError('INVALID_ARGUMENT', `could not convert the HTML ${name}: ${error.refusal.refused}`, {
      file: name,
    });
  }
}

/** The text of a PDF, page by page in a worker within `limits`. */
export async function pdfToText(name: string, bytes: Uint8Array, limits: DocumentLimits): Promise<string> {
  const task = {
    kind: 'pdf' as const,
    bytes,
    maxPages: limits.maxPdfPages,
    maxTextBytes: limits.maxTextBytes,
  };
  try {
    return z.string().parse(await runTask(task, `the PDF ${name}`, { ...limits, file: name }));
  } catch (error) {
    if (!(error instanceof TaskRefused)) throw error;
    const { refused, pages, message } = error.refusal;
    if (refused === 'pages') {
      throw new AppError(
        'PAYLOAD_TOO_LARGE',
        `a PDF may have at most ${limits.maxPdfPages} pages (${name})`,
        {
          file: name,
          limit: limits.maxPdfPages,
          ...(pages === undefined ? {} : { pages }),
        },
      );
    }
    if (refused === 'text_size') {
      throw new AppError(
        'PAYLOAD_TOO_LARGE',
        `the text of a PDF may be at most ${limits.maxTextBytes} bytes (${name})`,
        {
          file: name,
          max_bytes: limits.maxTextBytes,
        },
      );
    }
    throw new AppError('INVALID_ARGUMENT', `could not read the PDF ${name}: ${message ?? refused}`, {
      file: name,
    });
  }
}
