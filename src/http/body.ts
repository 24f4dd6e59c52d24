/**
 * Request body reading with a hard size limit (SPEC 12), run only after the caller is authenticated.
 * A body whose Content-Length, or whose bytes read so far, exceed the limit is answered with 413 at
 * once; the rest of the upload is drained (up to a cap, after which the connection is closed) so the
 * client can read the answer. The limit is MAX_BODY_BYTES for the routes that carry file or message
 * content ({@link CONTENT_ROUTES}) and {@link SMALL_BODY_BYTES} for every other. JSON bodies are
 * checked for their number of keys, values and nesting (src/http/json-bounds.ts), then parsed into
 * `req.body` (a large one in a worker thread, src/http/json-parse.ts); a request without a body gets `{}`. A `multipart/form-data` body is left unread for the
 * route that accepts uploads, which applies its own limit (see {@link refuseDeclaredOver}).
 */
import type { Request, RequestHandler, Response } from 'express';
import { AppError } from '../errors.js';
import { assertJsonBounds } from './json-bounds.js';
import { parseJsonBytes } from './json-parse.js';

/** How much of an oversized upload we are willing to read and discard to keep the connection usable. */
const DRAIN_CAP_BYTES = 64 * 1024 * 1024;

function declaredLength(req: Request): number | undefined {
  const header = req.headers['content-length'];
  if (header === undefined || !/^\d+$/.test(header)) return undefined;
  return Number(header);
}

/** Body limit of the routes that carry no file or message content. */
export const SMALL_BODY_BYTES = 1024 * 1024;

/** Routes whose JSON carries file or message content: they may use all of MAX_BODY_BYTES. */
const CONTENT_ROUTES: readonly RegExp[] = [
  /^\/api\/v1\/content\/write\/?$/i,
  /^\/api\/v1\/skills\/?$/i,
  /^\/api\/v1\/sessions\/[^/]+\/messages(\/batch)?\/?$/i,
  /^\/mcp\/?$/i,
];

function limitFor(req: Request, maxBodyBytes: number): number {
  const path = req.originalUrl.split('?')[0] ?? '';
  return CONTENT_ROUTES.some((route) => route.test(path))
    ? maxBodyBytes
    : Math.min(maxBodyBytes, SMALL_BODY_BYTES);
}

/** Whether the request announces a body (a length or a transfer encoding). */
export function hasBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || (declaredLength(req) ?? 0) > 0;
}

function isJson(req: Request): boolean {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

function isMultipart(req: Request): boolean {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'multipart/form-data';
}

function checkEncoding(req: Request): void {
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding !== 'identity') {
    throw new AppError('INVALID_ARGUMENT', `content-encoding '${encoding}' is not supported`);
  }
  const charset = /charset=([^;]+)/i
    .exec(req.headers['content-type'] ?? '')?.[1]
    ?.trim()
    .toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new AppError('INVALID_ARGUMENT', `charset '${charset}' is not supported`);
  }
}

/** Discards the rest of an oversized upload; beyond the cap the connection is closed instead. */
function drain(req: Request, alreadyRead: number): void {
  let drained = alreadyRead;
  req.removeAllListeners('data');
  req.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > DRAIN_CAP_BYTES) req.socket.destroySoon();
  });
  req.resume();
}

function tooLarge(limit: number): AppError {
  return new AppError('PAYLOAD_TOO_LARGE', `request body exceeds ${limit} bytes`, { limit });
}

function readBody(req: Request, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        drain(req, size);
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    let ended = false;
    req.on('end', () => {
      ended = true;
      resolve(Buffer.concat(chunks));
    });
    // 'close' after 'end' is the normal end of every request; before it, the client gave up.
    const aborted = () => {
      if (!ended) reject(new AppError('INVALID_ARGUMENT', 'request body aborted'));
    };
    req.on('error', aborted);
    req.on('close', aborted);
  });
}

function parseJson(raw: Buffer): Promise<unknown> {
  if (raw.length === 0) return Promise.resolve({});
  assertJsonBounds(raw);
  return parseJsonBytes(raw);
}

/** Throws 413 (draining or closing the upload) when the declared Content-Length exceeds `limit`. */
function checkDeclared(req: Request, res: Response, limit: number): void {
  const declared = declaredLength(req);
  if (declared !== undefined && declared > limit) {
    // Beyond the drain cap it is cheaper to close the connection after answering.
    if (declared > DRAIN_CAP_BYTES) res.setHeader('Connection', 'close');
    drain(req, 0);
    throw tooLarge(limit);
  }
}

/** Middleware answering 413 at once when a request declares more than `limit` bytes of body. */
export function refuseDeclaredOver(limit: number): RequestHandler {
  return (req, res, next) => {
    checkDeclared(req, res, limit);
    next();
  };
}

/**
 * Middleware reading the body: `maxBodyBytes` at most on the content routes, {@link SMALL_BODY_BYTES}
 * (or `maxBodyBytes` if smaller) on the others.
 */
export function bodyReader(maxBodyBytes: number): RequestHandler {
  return async (req, res, next) => {
    req.body = {};
    if (!hasBody(req) || isMultipart(req)) return next();
    const limit = limitFor(req, maxBodyBytes);
    checkDeclared(req, res, limit);
    checkEncoding(req);
    const raw = await readBody(req, limit);
    if (isJson(req)) req.body = await parseJson(raw);
    next();
  };
}
