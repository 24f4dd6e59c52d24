/**
 * What anything thrown means to a client: an AppError as it is, a storage fault (disk full,
 * read-only) as its own code, a client error from a library (a body parser's 4xx) as
 * INVALID_ARGUMENT or PAYLOAD_TOO_LARGE; anything else is unexpected. Shared by the HTTP error handler
 * and the MCP tools, so both transports answer the same thrown error alike.
 */
import { z } from 'zod';
import { AppError, isAppError } from './errors.js';
import { storageError, storageFaultOf } from './storage/faults.js';

/** Errors from other libraries that carry an HTTP status (body parsing and the like). */
const HttpLikeError = z.object({ status: z.number().int(), type: z.string().optional() });

/** Converts anything thrown into an AppError; undefined means "unexpected" (logged as INTERNAL). */
export function toAppError(error: unknown): AppError | undefined {
  if (isAppError(error)) return error;
  // Client input is parsed with parseInput (400 naming the fields); a ZodError that reaches here
  // came from inside the server (a row read from LanceDB, a journal job): not the client's fault.
  if (error instanceof z.ZodError) {
    return new AppError('INTERNAL', 'internal error');
  }
  const fault = storageFaultOf(error);
  if (fault !== null) return storageError(fault);
  const http = HttpLikeError.safeParse(error);
  if (http.success && http.data.status >= 400 && http.data.status < 500) {
    if (http.data.status === 413) return new AppError('PAYLOAD_TOO_LARGE', 'request body too large');
    return new AppError(
      'INVALID_ARGUMENT',
      'invalid request',
      http.data.type ? { type: http.data.type } : {},
    );
  }
  return undefined;
}
