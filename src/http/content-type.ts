/**
 * Bodies the API does not read: the API takes JSON (and multipart uploads on the upload route). A
 * body sent with another Content-Type (curl's `-d` sends `application/x-www-form-urlencoded`) was
 * dropped, so the route then complained about a missing field; this answers 400 naming the content
 * type and what to send instead. Its own middleware, placed just before the body reader.
 */
import type { Request, RequestHandler } from 'express';
import { AppError } from '../errors.js';

function mediaType(req: Request): string {
  return (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** JSON, `…+json`, or multipart (left to the upload route, which accepts it or not). */
function readable(type: string): boolean {
  return (
    type === 'application/json' ||
    (type.startsWith('application/') && type.endsWith('+json')) ||
    type === 'multipart/form-data'
  );
}

/** 400 for a request body whose Content-Type the API does not read. */
export function requireJsonBody(): RequestHandler {
  return (req, _res, next) => {
    const type = mediaType(req);
    if (!hasBody(req) || readable(type)) return next();
    throw new AppError(
      'INVALID_ARGUMENT',
      type === ''
        ? 'the request has a body but no Content-Type: send JSON with `Content-Type: application/json`'
        : `request bodies must be JSON: got Content-Type '${type}'; send \`Content-Type: application/json\` (curl: -H 'Content-Type: application/json')`,
      { type: type === '' ? 'missing' : type },
    );
  };
}
