/**
 * Imports a source's documents through the filesystem service, as one identity, with a bounded
 * number of writes in flight. Every document ends in exactly one bucket (written, done by an earlier
 * run, skipped, failed); one bad document never stops the run. Interruption stops taking documents,
 * lets the writes in flight finish and leaves the checkpoint saved. When the indexer falls behind,
 * writes are refused with RESOURCE_EXHAUSTED: the import waits the indicated time and tries the same
 * document again (it slows down instead of failing).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { detailsOf, isAppError, messageOf, type AppError } from '../../src/errors.js';
import type { Vfs } from '../../src/fs/vfs.js';
import type { RequestContext } from '../../src/policy/index.js';
import type { Checkpoint } from './checkpoint.js';
import type { Outcome, Source, SourceDoc } from './source.js';

export interface Issue {
  readonly key: string;
  readonly uri: string;
  /** A skip reason (`binary`, `too_large`) or a failure code (`PERMISSION_DENIED`, `INVALID_URI`…). */
  readonly reason: string;
  readonly message: string;
}

export interface Tally {
  readonly total: number;
  written: number;
  /** Done by an earlier run with the same content (from the checkpoint). */
  resumed: number;
  bytes: number;
  /** Writes refused by backpressure (RESOURCE_EXHAUSTED) and tried again after the indicated delay. */
  throttled: number;
  readonly skipped: Issue[];
  readonly failed: Issue[];
  interrupted: boolean;
}

export interface ImportOptions {
  readonly vfs: Vfs;
  readonly ctx: RequestContext;
  readonly source: Source;
  readonly checkpoint: Checkpoint;
  readonly concurrency: number;
  /** Polled before each document: true stops the run (SIGINT/SIGTERM). */
  readonly stopRequested: () => boolean;
  readonly onProgress?: (tally: Tally) => void;
}

/** Number of documents handled so far, in any bucket. */
export function handled(t: Tally): number {
  return t.written + t.resumed + t.skipped.length + t.failed.length;
}

function issue(doc: SourceDoc, reason: string, message: string): Issue {
  return { key: doc.key, uri: doc.uri, reason, message };
}

async function load(doc: SourceDoc): Promise<Outcome> {
  try {
    return await doc.load();
  } catch (error) {
    return {
      kind: 'failed',
      code: 'READ_ERROR',
      message: messageOf(error),
    };
  }
}

/** Seconds a RESOURCE_EXHAUSTED error asks to wait (`details.retry_after_s`, else 1). */
function retryAfterS(error: AppError): number {
  const value = detailsOf(error, 'RESOURCE_EXHAUSTED')?.retry_after_s;
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 1;
}

/**
 * Writes a document, waiting and retrying while the indexer refuses writes. False if the run was
 * stopped while waiting (the document is left for the next run).
 */
async function writeWithBackoff(o: ImportOptions, doc: SourceDoc, content: string, tally: Tally) {
  for (;;) {
    try {
      await o.vfs.write(o.ctx, { uri: doc.uri, content, mode: 'replace' });
      return true;
    } catch (error) {
      if (!isAppError(error) || error.code !== 'RESOURCE_EXHAUSTED') throw error;
      tally.throttled++;
      await sleep(retryAfterS(error) * 1000);
      if (o.stopRequested()) {
        tally.interrupted = true;
        return false;
      }
    }
  }
}

async function importOne(o: ImportOptions, doc: SourceDoc, tally: Tally): Promise<void> {
  if (o.checkpoint.isDone(doc.key, doc.fingerprint)) {
    tally.resumed++;
    return;
  }
  const outcome = await load(doc);
  switch (outcome.kind) {
    case 'skipped':
      tally.skipped.push(issue(doc, outcome.reason, outcome.message));
      return;
    case 'failed':
      tally.failed.push(issue(doc, outcome.code, outcome.message));
      return;
    case 'text':
      try {
        if (!(await writeWithBackoff(o, doc, outcome.content, tally))) return;
      } catch (error) {
        const code = isAppError(error) ? error.code : 'ERROR';
        tally.failed.push(issue(doc, code, messageOf(error)));
        return;
      }
      tally.written++;
      tally.bytes += outcome.bytes;
      await o.checkpoint.markDone(doc.key, doc.fingerprint);
  }
}

/** Runs the import; resolves with the tally once every document is handled or the run was stopped. */
export async function importDocuments(o: ImportOptions): Promise<Tally> {
  const tally: Tally = {
    total: o.source.total,
    written: 0,
    resumed: 0,
    bytes: 0,
    throttled: 0,
    skipped: [],
    failed: [],
    interrupted: false,
  };
  const docs = o.source.docs();
  let broken = false;
  // N workers pull from one async generator: at most N writes in flight, and a streamed JSONL is
  // read only as fast as it is written.
  const worker = async (): Promise<void> => {
    for (;;) {
      if (broken) return;
      if (o.stopRequested()) {
        tally.interrupted = true;
        return;
      }
      const next = await docs.next();
      if (next.done === true) return;
      await importOne(o, next.value, tally);
      o.onProgress?.(tally);
    }
  };
  const results = await Promise.allSettled(
    Array.from({ length: o.concurrency }, () =>
      worker().catch((error: unknown) => {
        broken = true;
        throw error;
      }),
    ),
  );
  await docs.return(undefined); // closes a JSONL stream left open by an interruption
  await o.checkpoint.save();
  const failure = results.find((r) => r.status === 'rejected');
  if (failure !== undefined) throw failure.reason;
  return tally;
}
