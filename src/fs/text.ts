/** Content helpers: what counts as indexable text, and slicing a text by lines. */
import { isUtf8 } from 'node:buffer';

/**
 * Whether stored content is text the indexer should read: valid UTF-8 without NUL bytes.
 * Binary content is stored as-is but never indexed.
 * @example isIndexableText(Buffer.from('hello')) // true
 */
export function isIndexableText(content: Uint8Array): boolean {
  // isUtf8 validates natively without decoding (a 10 MiB file in about a millisecond).
  return !content.includes(0) && isUtf8(content);
}

/**
 * Lines `offset` .. `offset + limit` of a text (0-based; a negative or missing limit means "to the
 * end"). Line endings are kept so slices concatenate back to the original.
 * @example sliceLines('a\nb\nc\n', 1, 1) // 'b\n'
 */
export function sliceLines(text: string, offset = 0, limit?: number): string {
  if (offset === 0 && (limit === undefined || limit < 0)) return text;
  const lines = text.split(/(?<=\n)/);
  const end = limit === undefined || limit < 0 ? lines.length : offset + limit;
  return lines.slice(offset, end).join('');
}
