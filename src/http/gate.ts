/**
 * Holds the write gate (src/storage/gate.ts) shared for every request that may change something, from
 * after its body is read until its answer is sent, so a backup sees no change half-done. Reads
 * (GET/HEAD/OPTIONS) and the POSTs that only read (searches, `system/wait`, the backup itself) pass
 * freely.
 */
import type { RequestHandler } from 'express';
import type { WriteGate } from '../storage/gate.js';

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Paths below /api/v1 that change nothing although they are POSTs. */
const UNGATED = new Set([
  '/system/backup',
  '/system/wait',
  '/search/find',
  '/search/search',
  '/search/grep',
  '/search/glob',
]);

export function changeGate(gate: WriteGate): RequestHandler {
  return (req, res, next) => {
    if (READS.has(req.method) || UNGATED.has(req.path)) {
      next();
      return;
    }
    void gate.change(
      () =>
        new Promise<void>((resolve) => {
          res.once('close', () => resolve());
          next();
        }),
    );
  };
}
