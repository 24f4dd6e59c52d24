/**
 * The CRC-32s of a snapshot's section files, computed by a worker thread that reads the files itself
 * (from the page cache): a restore's checksums are taken while the main thread reads the sections
 * into place, a write's while it writes the next section — ~2.7 GB at a million records no longer
 * take the main thread's time. Each file is opened by the caller when it asks, so a file unlinked
 * meanwhile (a restored vector file, adopted) is still read whole.
 */
import { closeSync, openSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { CHUNK, type SectionSum } from './snapshot-io.js';

// Plain JavaScript evaluated from this string, so the worker runs the same way from the compiled
// build and from the TypeScript sources under test (as threads.ts does). Files are checksummed one
// at a time, in the order they were asked for.
const SOURCE = `
const { parentPort } = require('node:worker_threads');
const { readSync } = require('node:fs');
const { crc32 } = require('node:zlib');
const buffer = Buffer.allocUnsafe(${CHUNK});
parentPort.on('message', ({ id, fd }) => {
  let crc = 0;
  let bytes = 0;
  try {
    for (let n = readSync(fd, buffer, 0, buffer.length, 0); n > 0; n = readSync(fd, buffer, 0, buffer.length, bytes)) {
      crc = crc32(buffer.subarray(0, n), crc);
      bytes += n;
    }
    parentPort.postMessage({ id, bytes, crc });
  } catch (error) {
    parentPort.postMessage({ id, error: String(error) });
  }
});
`;

interface Pending {
  readonly fd: number;
  readonly resolve: (sum: SectionSum) => void;
  readonly reject: (error: Error) => void;
}

type Reply = { id: number; bytes: number; crc: number } | { id: number; error: string };

/** A worker thread checksumming files as they are handed to it; {@link close} it when done. */
export class Checksummer {
  private readonly worker = new Worker(SOURCE, { eval: true });
  private readonly pending = new Map<number, Pending>();
  private next = 0;
  private failed: Error | null = null;

  constructor() {
    this.worker.on('message', (reply: Reply) => {
      const waiting = this.pending.get(reply.id);
      if (waiting === undefined) return;
      this.pending.delete(reply.id);
      closeSync(waiting.fd);
      if ('error' in reply) waiting.reject(new Error(`checksum failed: ${reply.error}`));
      else waiting.resolve({ bytes: reply.bytes, crc: reply.crc });
    });
    this.worker.once('error', (error) => this.fail(error));
    this.worker.once('exit', (code) => this.fail(new Error(`checksum worker exited with code ${code}`)));
  }

  /**
   * The length and CRC-32 of the file at `path` (opened now, before this returns; closed once read).
   * The promise never counts as unhandled: a caller that gave up on it need not await it.
   */
  sum(path: string): Promise<SectionSum> {
    if (this.failed !== null) return Promise.reject(this.failed);
    const fd = openSync(path, 'r');
    const id = this.next++;
    const sum = new Promise<SectionSum>((resolve, reject) => this.pending.set(id, { fd, resolve, reject }));
    sum.catch(() => undefined);
    this.worker.postMessage({ id, fd });
    return sum;
  }

  /** Stops the worker; checksums not done yet are rejected (their files closed). */
  async close(): Promise<void> {
    if (this.failed === null) this.failed = new Error('checksums abandoned');
    await this.worker.terminate();
    this.fail(this.failed);
  }

  private fail(error: Error): void {
    const failed = (this.failed ??= error);
    for (const [id, waiting] of this.pending) {
      this.pending.delete(id);
      closeSync(waiting.fd);
      waiting.reject(failed);
    }
  }
}

/**
 * Starts checksumming the files at `paths` (all opened now, before this returns); resolves with each
 * one's length and CRC-32, in order, once all are read (the files are closed then).
 */
export async function checksums(paths: readonly string[]): Promise<SectionSum[]> {
  const checker = new Checksummer();
  try {
    const sums = paths.map((path) => checker.sum(path));
    return await Promise.all(sums);
  } finally {
    await checker.close();
  }
}
