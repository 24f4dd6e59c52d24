/**
 * The one place that maps error codes to HTTP statuses (SPEC 12), and the middleware that turns
 * anything thrown by a route into the error envelope. A storage fault (disk full, read-only) becomes
 * 507 naming its cause; other unknown exceptions become a generic 500: the details go to the log,
 * never to the client.
 */
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { AppError, detailsOf, type ErrorCode, type Subject } from '../errors.js';
import { logger } from '../log.js';
import { toAppError } from '../to-app-error.js';

export const STATUS_OF: Readonly<Record<ErrorCode, number>> = {
  INVALID_ARGUMENT: 400,
  INVALID_URI: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  CONFLICT: 409,
  FAILED_PRECONDITION: 412,
  PAYLOAD_TOO_LARGE: 413,
  RESOURCE_EXHAUSTED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
  INSUFFICIENT_STORAGE: 507,
  UNIMPLEMENTED: 501,
};

/** The resource a NOT_FOUND or ALREADY_EXISTS is about, with its type in OpenViking's words. */
function resourceOf(subject: Subject): { resource: string; type: string } | undefined {
  if (subject.uri !== undefined) return { resource: subject.uri, type: 'file' };
  if (subject.session_id !== undefined) return { resource: subject.session_id, type: 'session' };
  if (subject.user_id !== undefined) return { resource: subject.user_id, type: 'user' };
  if (subject.account_id !== undefined) return { resource: subject.account_id, type: 'account' };
  return undefined;
}

/**
 * Adds the detail names OpenViking's clients build their exceptions from (openviking_cli/client/http.py
 * `_raise_exception`): `resource`/`type` for NOT_FOUND and ALREADY_EXISTS, `reason` for INVALID_URI.
 */
function clientDetails(error: AppError): object {
  const invalidUri = detailsOf(error, 'INVALID_URI');
  if (invalidUri !== undefined) return { ...invalidUri, reason: error.message };
  const subject = detailsOf(error, 'NOT_FOUND') ?? detailsOf(error, 'ALREADY_EXISTS');
  if (subject !== undefined) return { ...subject, ...resourceOf(subject) };
  return error.details;
}

/**
 * Sends `{status: "error", result: null, error: {code, message, details}}` with the code's status;
 * `details.retry_after_s` (429, 503) is also sent as a `Retry-After` header in whole seconds.
 */
export function sendError(res: Response, error: AppError): void {
  const retryAfter = (detailsOf(error, 'RESOURCE_EXHAUSTED') ?? detailsOf(error, 'UNAVAILABLE'))
    ?.retry_after_s;
  if (typeof retryAfter === 'number' && Number.isFinite(retryAfter) && retryAfter >= 0) {
    res.setHeader('Retry-After', String(Math.ceil(retryAfter)));
  }
  const body = { code: error.code, message: error.message, details: clientDetails(error) };
  res.status(STATUS_OF[error.code]).json({ status: 'error', result: null, error: body });
}

export const errorHandler: ErrorRequestHandler = (error: unknown, req, res, next) => {
  // Once the response has started the only safe thing left is to let express close the connection.
  if (res.headersSent) {
    next(error);
    return;
  }
  const appError = toAppError(error);
  if (appError !== undefined) {
    if (appError.code === 'INTERNAL') logger.error({ err: error, path: req.path }, 'internal error');
    // The operator has to act (free space, remount): every occurrence is logged with its cause.
    if (appError.code === 'INSUFFICIENT_STORAGE')
      logger.error({ err: error, path: req.path }, appError.message);
    sendError(res, appError);
    return;
  }
  logger.error({ err: error, method: req.method, path: req.path }, 'unhandled error');
  sendError(res, new AppError('INTERNAL', 'internal error'));
};

/** The 404 envelope for routes nobody serves. */
export const notFoundHandler: RequestHandler = (req, res) => {
  const route = `${req.method} ${req.path}`;
  sendError(res, new AppError('NOT_FOUND', `no route for ${route}`, { route }));
};
