/**
 * The CRC-32s of a restored snapshot's sections, computed by a worker thread that reads the files
 * itself (from the page cache, as the main thread reads them into their destinations) — the
 * checksums of ~2.7 GB at a million records no longer take the main thread's time. The files are
 * opened by the caller, so a file unlinked meanwhile (the vector file, adopted) is still read whole.
 */
import { closeSync, openSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { CHUNK, type SectionSum } from './snapshot-io.js';

// Plain JavaScript evaluated from this string, so the worker runs the same way from the compiled
// build and from the TypeScript sources under test (as threads.ts does).
const SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const { readSync } = require('node:fs');
const { crc32 } = require('node:zlib');
const buffer = Buffer.allocUnsafe(${CHUNK});
const sums = workerData.fds.map((fd) => {
  let crc = 0;
  let bytes = 0;
  for (let n = readSync(fd, buffer, 0, buffer.length, 0); n > 0; n = readSync(fd, buffer, 0, buffer.length, bytes)) {
    crc = crc32(buffer.subarray(0, n), crc);
    bytes += n;
  }
  return { bytes, crc };
});
parentPort.postMessage(sums);
`;

/**
 * Starts checksumming the files at `paths` (opened now, before this returns); resolves with each
 * one's length and CRC-32, in order, once all are read (the files are closed then).
 */
export async function checksums(paths: readonly string[]): Promise<SectionSum[]> {
  const fds: number[] = [];
  try {
    for (const path of paths) fds.push(openSync(path, 'r'));
  } catch (error) {
    for (const fd of fds) closeSync(fd);
    throw error;
  }
  const worker = new Worker(SOURCE, { eval: true, workerData: { fds } });
  return new Promise<SectionSum[]>((resolve, reject) => {
    worker.once('message', (sums: SectionSum[]) => resolve(sums));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`checksum worker exited with code ${code}`)));
  }).finally(() => {
    for (const fd of fds) closeSync(fd);
  });
}
