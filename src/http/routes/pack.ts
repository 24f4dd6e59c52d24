/**
 * `POST /api/v1/pack/export` (answers the `.ovpack` zip itself, not an envelope, as OpenViking does;
 * errors are envelopes) and `POST /api/v1/pack/import`. The rules live in the {@link PackService}.
 */
import { Router } from 'express';
import type { PackService } from '../../pack/service.js';
import { contextOf, sendOk } from '../context.js';

/** `Content-Disposition` with an ASCII fallback name and the exact name in RFC 5987 form. */
function attachment(filename: string): string {
  const ascii = filename.replace(/[^\w.-]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

export function packRouter(packs: PackService): Router {
  const router = Router();
  router.post('/pack/export', async (req, res) => {
    const { filename, data } = await packs.export(contextOf(req), req.body);
    res.status(200).type('application/zip').set('Content-Disposition', attachment(filename));
    res.send(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  });
  router.post('/pack/import', async (req, res) => {
    sendOk(res, await packs.import(contextOf(req), req.body));
  });
  return router;
}
