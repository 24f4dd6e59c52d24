/**
 * Hostile uploads generated in the test (no downloads): a zip whose central directory points many
 * entries at one deflated stream, and HTML nested past any converter's stack.
 */
import { strToU8, zipSync } from 'fflate';

/**
 * A zip of `copies` entries (`f000.txt`, `f001.txt`, …) that all point at one deflated stream of
 * `bytes` zero bytes: small on disk, `copies × bytes` for a reader that inflates each entry.
 * With 25 copies of 10 MiB it is the ~12 KB archive that once made the server inflate 250 MiB.
 */
export function overlappingZip(copies: number, bytes: number): Uint8Array {
  const zip = zipSync({ 'f000.txt': new Uint8Array(bytes) }, { level: 9 });
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const eocd = zip.length - 22;
  const size = view.getUint32(eocd + 12, true);
  const offset = view.getUint32(eocd + 16, true);
  const record = zip.subarray(offset, offset + size);
  const records = Array.from({ length: copies }, (_, i) => {
    const copy = Uint8Array.from(record);
    copy.set(strToU8(`f${String(i).padStart(3, '0')}.txt`), 46);
    return copy;
  });
  const end = Uint8Array.from(zip.subarray(eocd));
  const endView = new DataView(end.buffer);
  endView.setUint16(8, copies, true);
  endView.setUint16(10, copies, true);
  endView.setUint32(12, size * copies, true);
  return Buffer.concat([zip.subarray(0, offset), ...records, end]);
}

/** `depth` nested `<div>`s around one word. */
export function deepHtml(depth: number): string {
  return `<html><body>${'<div>'.repeat(depth)}deep${'</div>'.repeat(depth)}</body></html>`;
}
