/**
 * `POST /api/v1/pack/export` and `/pack/backup` (answer the `.ovpack` zip itself, not an envelope, as
 * OpenViking does; errors are envelopes), `POST /api/v1/pack/import` and `/pack/restore`. The rules
 * live in the {@link PackService} and {@link PackBackups}.
 */
import { Router } from 'express';
import { packBackupSchema, packRestoreSchema, type PackBackups } from '../../pack/backup.js';
import { packExportSchema, packImportSchema, type PackService } from '../../pack/service.js';
import { contextOf, sendOk } from '../context.js';
import { route } from '../openapi/route.js';
import * as more from '../openapi/results-more.js';

/** `Content-Disposition` with an ASCII fallback name and the exact name in RFC 5987 form. */
function attachment(filename: string): string {
  const ascii = filename.replace(/[^\w.-]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

export function packRouter(packs: PackService, backups: PackBackups): Router {
  const router = Router();
  const tag = 'pack';
  route(
    router,
    {
      method: 'post',
      path: '/pack/export',
      tag,
      summary: 'Export a subtree the caller may read as an .ovpack zip',
      body: packExportSchema,
      bodyName: 'request body',
      produces: 'application/zip',
      example: { body: { uri: 'viking://resources/guides' } },
    },
    async (req, res, input) => {
      const { filename, data } = await packs.export(contextOf(req), input.body());
      res.status(200).type('application/zip').set('Content-Disposition', attachment(filename));
      res.send(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    },
  );
  route(
    router,
    {
      method: 'post',
      path: '/pack/import',
      changes: true,
      result: more.packImported,
      tag,
      summary: 'Import an uploaded .ovpack below a folder the caller may write',
      body: packImportSchema,
      bodyName: 'request body',
      example: {
        body: {
          temp_file_id: 'upload_0123456789abcdef.ovpack',
          parent: 'viking://resources',
          on_conflict: 'overwrite',
          vector_mode: 'auto',
        },
      },
    },
    async (req, res, input) => sendOk(res, await packs.import(contextOf(req), input.body())),
  );
  backupRoutes(router, backups);
  return router;
}

/** `pack/backup` and `pack/restore` (ROOT or ADMIN). */
function backupRoutes(router: Router, backups: PackBackups): void {
  const tag = 'pack';
  route(
    router,
    {
      method: 'post',
      path: '/pack/backup',
      tag,
      summary:
        'ROOT or ADMIN: a restore-only .ovpack of the resources, user and agent files the caller may read',
      body: packBackupSchema,
      bodyName: 'request body',
      produces: 'application/zip',
      example: { body: { include_vectors: false } },
    },
    async (req, res) => {
      const { filename, data } = await backups.backup(contextOf(req));
      res.status(200).type('application/zip').set('Content-Disposition', attachment(filename));
      res.send(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    },
  );
  route(
    router,
    {
      method: 'post',
      path: '/pack/restore',
      changes: true,
      result: more.packRestored,
      tag,
      summary: 'ROOT or ADMIN: write an uploaded backup back in place (on_conflict fail, overwrite or skip)',
      body: packRestoreSchema,
      bodyName: 'request body',
      example: { body: { temp_file_id: 'upload_0123456789abcdef.ovpack', on_conflict: 'skip' } },
    },
    async (req, res, input) => sendOk(res, await backups.restore(contextOf(req), input.body())),
  );
}
