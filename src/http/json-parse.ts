/**
 * JSON request bodies made into values. A body of {@link WORKER_PARSE_BYTES} or more is decoded and
 * parsed in a worker thread: a 9.5 MiB write body took 40–190 ms to decode and 50–220 ms to parse on
 * the event loop (load 7–10 on 2 cores), time every other tenant's request waited behind. The value
 * comes back by structured clone, whose strings are copied whole (a 9.5 MiB string in a few ms).
 * Smaller bodies are parsed in place: handing them to a worker costs more than parsing them.
 */
import { AppError } from '../errors.js';
import { PoolFailure, WorkerPool } from '../resources/worker-pool.js';

/** Bodies from this size on are parsed in the worker. */
export const WORKER_PARSE_BYTES = 1024 * 1024;

/** A 10 MiB body parses in well under a second; past this the worker is stopped. */
const PARSE_TIMEOUT_MS = 30_000;

/** A worker idle this long is ended; starting one takes ~30 ms, against a parse of ~100 ms. */
const PARSE_IDLE_MS = 1_000;

const SOURCE = String.raw`
'use strict';
const { parentPort } = require('node:worker_threads');
parentPort.on('message', ({ id, task }) => {
  let value;
  try {
    value = JSON.parse(Buffer.from(task.buffer, task.byteOffset, task.byteLength).toString('utf8'));
  } catch {
    parentPort.postMessage({ id, ok: false, error: 'malformed' });
    return;
  }
  parentPort.postMessage({ id, ok: true, value });
});
`;

let pool: WorkerPool | undefined;

function parsePool(): WorkerPool {
  // One worker: large bodies are rare, and the other core belongs to the event loop. It ends when
  // idle: its heap kept the last body's bytes and strings (~3 × its size) until its next parse.
  pool ??= new WorkerPool({
    source: SOURCE,
    size: 1,
    maxQueue: 16,
    maxWaitMs: 10_000,
    memoryMb: 256,
    idleMs: PARSE_IDLE_MS,
  });
  return pool;
}

function malformed(): AppError {
  return new AppError('INVALID_ARGUMENT', 'malformed JSON body');
}

function poolError(failure: PoolFailure): AppError {
  switch (failure.kind) {
    case 'busy':
    case 'key_busy':
      return new AppError(
        'RESOURCE_EXHAUSTED',
        'too many large request bodies are being parsed; retry shortly',
        {
          retry_after_s: 1,
        },
      );
    case 'deadline':
    case 'memory':
      return new AppError('PAYLOAD_TOO_LARGE', `the JSON body could not be parsed: ${failure.message}`);
    case 'crashed':
      return new AppError('INTERNAL', `the JSON body could not be parsed: ${failure.message}`);
  }
}

/**
 * The value of a JSON body (UTF-8), parsed off the event loop when large; INVALID_ARGUMENT when it is
 * not JSON. The caller must not use `raw` afterwards (its memory may be moved to the worker).
 * @example await parseJsonBytes(Buffer.from('{"a":1}')) // { a: 1 }
 */
export async function parseJsonBytes(raw: Buffer): Promise<unknown> {
  if (raw.length < WORKER_PARSE_BYTES) {
    try {
      return JSON.parse(raw.toString('utf8'));
    } catch {
      throw malformed();
    }
  }
  // A buffer that owns its whole memory is moved, not copied (Buffer.concat of a body does).
  const owned = raw.byteOffset === 0 && raw.byteLength === raw.buffer.byteLength;
  const task = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  const transfer = owned && raw.buffer instanceof ArrayBuffer ? [raw.buffer] : [];
  try {
    const reply = await parsePool().run(task, { timeoutMs: PARSE_TIMEOUT_MS, transfer });
    if (!reply.ok) throw malformed();
    return reply.value;
  } catch (error) {
    throw error instanceof PoolFailure ? poolError(error) : error;
  }
}
