/**
 * Fetching an `http(s)://` resource for add_resource without becoming a proxy into internal networks:
 * every address a host name resolves to is checked at connection time (the socket connects only to
 * checked addresses, so DNS rebinding cannot slip a private one in), IP literals are checked before
 * connecting, each redirect hop is checked again, and the download has a size limit and one overall
 * deadline. Errors are AppErrors: a refused target is PERMISSION_DENIED, an unreachable or failing
 * remote INVALID_ARGUMENT, too much data PAYLOAD_TOO_LARGE, the deadline DEADLINE_EXCEEDED.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { AppError, isAppError, messageOf } from '../errors.js';
import { isPublicAddress } from './address.js';

export interface FetchOptions {
  readonly maxBytes: number;
  /** One deadline for all hops and the whole body (default 30 s). */
  readonly timeoutMs?: number;
  readonly maxRedirects?: number;
  /** `ALLOW_PRIVATE_URLS`: skip the address check (an operator's choice, for internal sources). */
  readonly allowPrivate: boolean;
}

export interface Fetched {
  readonly data: Buffer;
  /** The media type of the answer, lower-cased, without parameters ('' when absent). */
  readonly contentType: string;
  /** The URL of the last hop. */
  readonly url: string;
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/** Names the host only: the address it resolved to would tell a tenant about internal DNS names. */
function refused(host: string): AppError {
  return new AppError('PERMISSION_DENIED', 'the URL resolves to a loopback, private or link-local address', {
    host,
    hint: 'an operator may allow private targets with ALLOW_PRIVATE_URLS=true',
  });
}

/** A `lookup` for http(s).request that fails when any resolved address is not public. */
function guardedLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error !== null) return callback(error, []);
    const bad = addresses.find((a) => !isPublicAddress(a.address));
    if (bad !== undefined) return callback(refused(hostname), []);
    const first = addresses[0];
    if (options.all === true || first === undefined) return callback(null, addresses);
    callback(null, first.address, first.family);
  });
}

function parseTarget(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new AppError('INVALID_ARGUMENT', 'not a valid URL', { url: raw });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new AppError('INVALID_ARGUMENT', `unsupported URL scheme '${url.protocol}'`, { url: raw });
  }
  if (url.username !== '' || url.password !== '') {
    throw new AppError('INVALID_ARGUMENT', 'URLs with credentials are not fetched', { url: url.origin });
  }
  return url;
}

function request(url: URL, options: FetchOptions, signal: AbortSignal): Promise<IncomingMessage> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!options.allowPrivate && isIP(host) !== 0 && !isPublicAddress(host)) throw refused(host);
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(url, {
      method: 'GET',
      signal,
      headers: { 'accept-encoding': 'identity', 'user-agent': 'VikingScope add_resource' },
      ...(options.allowPrivate ? {} : { lookup: guardedLookup }),
    });
    req.on('response', resolve);
    req.on('error', reject);
    req.end();
  });
}

/**
 * Reads the answer's body. A body without Content-Length ends when the connection closes — also when
 * our deadline closes it — so an end after the abort, or before the framing's end, is a failure, never
 * a complete document.
 */
function readBody(res: IncomingMessage, maxBytes: number, signal: AbortSignal): Promise<Buffer> {
  const declared = Number(res.headers['content-length'] ?? NaN);
  if (declared > maxBytes) {
    res.destroy();
    return Promise.reject(tooLarge(maxBytes));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        res.destroy();
        reject(tooLarge(maxBytes));
      } else chunks.push(chunk);
    });
    res.on('end', () => {
      if (signal.aborted) reject(new Error('the deadline cut the body off'));
      else if (!res.complete)
        reject(new Error('the remote closed the connection before the end of the body'));
      else resolve(Buffer.concat(chunks));
    });
    res.on('error', reject);
  });
}

function tooLarge(maxBytes: number): AppError {
  return new AppError('PAYLOAD_TOO_LARGE', `a fetched resource may hold at most ${maxBytes} bytes`, {
    max_bytes: maxBytes,
  });
}

function fetchError(error: unknown, url: URL, signal: AbortSignal, timeoutMs: number): AppError {
  if (isAppError(error)) return error;
  if (signal.aborted) {
    return new AppError('DEADLINE_EXCEEDED', `fetching the URL took longer than ${timeoutMs / 1000} s`, {
      url: url.href,
    });
  }
  return new AppError('INVALID_ARGUMENT', `could not fetch the URL: ${messageOf(error)}`, { url: url.href });
}

async function follow(start: URL, options: FetchOptions, signal: AbortSignal): Promise<Fetched> {
  let url = start;
  for (let hop = 0; ; hop++) {
    const res = await request(url, options, signal);
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if ([301, 302, 303, 307, 308].includes(status) && location !== undefined) {
      res.resume();
      if (hop >= (options.maxRedirects ?? 5)) {
        throw new AppError('INVALID_ARGUMENT', 'too many redirects', { url: start.href });
      }
      url = parseTarget(new URL(location, url).href);
      continue;
    }
    if (status < 200 || status > 299) {
      res.resume();
      throw new AppError('INVALID_ARGUMENT', `the URL answered HTTP ${status}`, { url: url.href, status });
    }
    const encoding = (res.headers['content-encoding'] ?? 'identity').toLowerCase();
    if (encoding !== 'identity') {
      res.resume();
      throw new AppError('INVALID_ARGUMENT', `unsupported content-encoding '${encoding}'`, { url: url.href });
    }
    const contentType = (res.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    return { data: await readBody(res, options.maxBytes, signal), contentType, url: url.href };
  }
}

/**
 * Downloads `raw` (http or https) within the options' limits.
 * @example await fetchUrl('https://example.com/guide.md', { maxBytes: 1 << 20, allowPrivate: false })
 */
export async function fetchUrl(raw: string, options: FetchOptions): Promise<Fetched> {
  const url = parseTarget(raw);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    return await follow(url, options, signal);
  } catch (error) {
    throw fetchError(error, url, signal, timeoutMs);
  }
}
