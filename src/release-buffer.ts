/**
 * Gives a large buffer's memory back now rather than at the next full garbage collection. A 36 MB
 * IPC file handed to LanceDB (lance-ipc.ts) stayed allocated for minutes after its write: nothing
 * referenced it, but V8 collects ArrayBuffers only with the old generation, which an idle server
 * does not collect (issue 23 item 5: ~130 MB of such buffers kept the RSS 230 MB up after one
 * 9.5 MiB file). Node 20 has no `ArrayBuffer.prototype.transfer`; moving the memory into a message
 * that is never delivered detaches it here and frees it when the channel closes.
 */
import { types } from 'node:util';
import { MessageChannel } from 'node:worker_threads';

/**
 * Frees the memory of `view` (which must not be used afterwards: it reads as empty) when `view` is
 * the only view of it; a view into shared memory (a pooled small Buffer, a slice) is left alone.
 * Returns whether the memory was released.
 * @example const file = Buffer.alloc(2 ** 20); releaseBuffer(file); // true; file.length === 0
 */
export function releaseBuffer(view: ArrayBufferView): boolean {
  const memory = view.buffer;
  // Not `instanceof`: a buffer from another realm (Node's own, a vm context) is an ArrayBuffer too.
  if (!types.isArrayBuffer(memory)) return false;
  if (view.byteOffset !== 0 || view.byteLength !== memory.byteLength || memory.byteLength === 0) return false;
  const { port1, port2 } = new MessageChannel();
  port1.postMessage(null, [memory]);
  port1.close();
  port2.close();
  return true;
}
