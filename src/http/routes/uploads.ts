/**
 * `POST /api/v1/resources/temp_upload` (relative to /api/v1): a multipart upload with one file in the
 * field `file`, as OpenViking's clients send it, stored by the {@link UploadStore} → `{temp_file_id}`.
 * The body reader leaves multipart bodies unread; here a declared Content-Length over the limit is
 * refused at once and multer enforces the limit on the bytes themselves (413 either way).
 */
import { Router, type Request, type RequestHandler } from 'express';
import multer from 'multer';
import { AppError, isErrorLike, messageOf } from '../../errors.js';
import type { UploadStore } from '../../uploads/store.js';
import { refuseDeclaredOver } from '../body.js';
import { contextOf, sendOk } from '../context.js';
import { route } from '../openapi/route.js';
import { uploaded } from '../openapi/results-system.js';

/** Room for the multipart framing around the file in a declared Content-Length. */
const FRAMING_BYTES = 64 * 1024;

/** Multer's and busboy's errors as AppErrors; file system errors pass through unchanged. */
function uploadError(error: unknown, maxBytes: number): unknown {
  if (error instanceof multer.MulterError) {
    if (error.code === 'LIMIT_FILE_SIZE') {
      return new AppError('PAYLOAD_TOO_LARGE', `an upload may hold at most ${maxBytes} bytes`, {
        max_bytes: maxBytes,
      });
    }
    return new AppError('INVALID_ARGUMENT', `invalid upload: ${error.message}`, {
      field: error.field ?? 'file',
    });
  }
  const errno = typeof error === 'object' && error !== null && 'errno' in error;
  if (error instanceof Error && !errno) {
    return new AppError('INVALID_ARGUMENT', `malformed multipart body: ${error.message}`);
  }
  return error;
}

/** multer's single-file middleware writing into the store's incoming folder, with mapped errors. */
function receiveFile(store: UploadStore, maxBytes: number): RequestHandler {
  const storage = multer.diskStorage({
    destination: (_req, _file, done) => {
      store.incomingDir().then(
        (dir) => done(null, dir),
        (error: unknown) => done(isErrorLike(error) ? error : new Error(messageOf(error)), ''),
      );
    },
  });
  // Python's requests sends UTF-8 file names without a charset parameter.
  const single = multer({
    storage,
    defParamCharset: 'utf8',
    limits: { fileSize: maxBytes, files: 1, fields: 16, parts: 17 },
  }).single('file');
  return (req, res, next) => {
    single(req, res, (error: unknown) => {
      if (error === undefined || error === null) next();
      else next(uploadError(error, maxBytes));
    });
  };
}

export function uploadsRouter(store: UploadStore, maxBytes: number): Router {
  const router = Router();
  route(
    router,
    {
      method: 'post',
      path: '/resources/temp_upload',
      changes: true,
      result: uploaded,
      tag: 'resources',
      summary: 'Upload a file (multipart/form-data, field "file") for an hour; answers its temp_file_id',
      upload: 'file',
    },
    async (req: Request, res) => {
      const file = req.file;
      if (file === undefined) {
        throw new AppError(
          'INVALID_ARGUMENT',
          "a multipart body with a file in the field 'file' is required",
          {
            field: 'file',
          },
        );
      }
      sendOk(res, await store.adopt(contextOf(req), file.path, file.originalname));
    },
    [refuseDeclaredOver(maxBytes + FRAMING_BYTES), receiveFile(store, maxBytes)],
  );
  return router;
}
