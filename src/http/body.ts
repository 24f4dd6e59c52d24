/**
 * Request body reading with a hard size limit (SPEC 12). A body whose Content-Length, or whose bytes
 * read so far, exceed the limit is answered with 413 at once; the rest of the upload is drained (up
 * to a cap, after which the connection is closed) so the client can read the answer. JSON bodies are
 * parsed into `req.body`; a request without a body gets `{}`. A `multipart/form-data` body is left
 * unread for the route that accepts uploads, which applies its own limit (see {@link refuseDeclaredOver}).
 */
import type { Request, RequestHandler, Response } from 'express';
import { AppError } from '../errors.js';

/** How much of an oversized upload we are willing to read and discard to keep the connection usable. */
const DRAIN_CAP_BYTES = 64 * 1024 * 1024;

function declaredLength(req: Request): number | undefined {
  const header = req.headers['content-length'];
  if (header === undefined || !/^\d+$/.test(header)) return undefined;
  return Number(header);
}

function hasBody(req: Request): boolean {
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

function parseJson(raw: Buffer): unknown {
  if (raw.length === 0) return {};
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    throw new AppError('INVALID_ARGUMENT', 'malformed JSON body');
  }
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

/** Middleware reading the body with `limit` bytes at most. */
export function bodyReader(limit: number): RequestHandler {
  return async (req, res, next) => {
    req.body = {};
    if (!hasBody(req) || isMultipart(req)) return next();
    checkDeclared(req, res, limit);
    checkEncoding(req);
    const raw = await readBody(req, limit);
    if (isJson(req)) req.body = parseJson(raw);
    next();
  };
}
