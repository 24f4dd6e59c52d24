/**
 * Bounds on the shape of a JSON request body, checked by one linear pass over its bytes before
 * `JSON.parse` builds anything. Parsing cost grows with the number of distinct object keys far
 * more than with bytes (700,000 keys in 8 MB took 1.6 s on the event loop, a 10 MB string 60 ms),
 * so a body's keys, values and nesting are counted first and a body past any bound is a 400.
 */
import { AppError } from '../errors.js';

/** Object keys in one body (10,000 distinct keys parse in ~15 ms). */
export const MAX_JSON_KEYS = 20_000;
/** Keys plus array elements in one body, counted as keys plus commas (one fewer per container). */
export const MAX_JSON_VALUES = 200_000;
/** Nesting of objects and arrays. */
export const MAX_JSON_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;

function tooComplex(what: string, limit: number): AppError {
  return new AppError('INVALID_ARGUMENT', `the JSON body has more than ${limit} ${what}`, { field: 'body' });
}

/**
 * Throws INVALID_ARGUMENT when `raw` holds more keys, values or nesting than the bounds allow.
 * Malformed JSON is left to `JSON.parse` (the counts only need to be an upper bound).
 * @example assertJsonBounds(Buffer.from('{"a": [1, 2]}')) // passes: 1 key, 3 values, depth 2
 */
export function assertJsonBounds(raw: Uint8Array): void {
  const bytes = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  let keys = 0;
  let values = 0;
  let depth = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (byte === QUOTE) i = stringEnd(bytes, i);
    else if (byte === COLON) {
      if (++keys > MAX_JSON_KEYS) throw tooComplex('object keys', MAX_JSON_KEYS);
      if (++values > MAX_JSON_VALUES) throw tooComplex('values', MAX_JSON_VALUES);
    } else if (byte === COMMA) {
      if (++values > MAX_JSON_VALUES) throw tooComplex('values', MAX_JSON_VALUES);
    } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      if (++depth > MAX_JSON_DEPTH) throw tooComplex('levels of nesting', MAX_JSON_DEPTH);
    } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) depth--;
  }
}

/**
 * The index of the quote closing the string opened at `open` (the end of the input if none). Text
 * is skipped with the native `indexOf`, since bodies are mostly string content; a quote preceded by
 * an odd number of backslashes is escaped.
 */
function stringEnd(bytes: Buffer, open: number): number {
  let from = open + 1;
  for (;;) {
    const quote = bytes.indexOf(QUOTE, from);
    if (quote === -1) return bytes.length;
    let slashes = 0;
    while (bytes[quote - 1 - slashes] === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return quote;
    from = quote + 1;
  }
}
