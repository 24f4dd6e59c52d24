/**
 * Holds the write gate (src/storage/gate.ts) shared for every request whose route declares `changes`
 * (src/http/openapi/route.ts), from after its body is read until its answer is sent, so a backup
 * sees no change half-done. Every other request — reads, searches, `system/wait`, the backup itself —
 * passes freely.
 */
import type { RequestHandler } from 'express';
import type { WriteGate } from '../storage/gate.js';
import { requestPath, type RouteTable } from './known-routes.js';

export function changeGate(gate: WriteGate, routes: RouteTable): RequestHandler {
  return (req, res, next) => {
    if (routes.find(req.method, requestPath(req.originalUrl))?.changes !== true) {
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
