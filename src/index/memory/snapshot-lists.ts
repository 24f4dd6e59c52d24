/**
 * The large maps and arrays of plain values (strings, numbers) a snapshot's graph holds — the
 * interned strings, the URI heads: about half of what is left once the typed arrays are apart —
 * written apart from the graph's serialization (snapshot-graph.ts) in pieces of at most
 * {@link PIECE} entries, each serialized on its own. A restore deserializes one piece per turn of
 * the event loop, so no single step deserializes all of them. Only a class's own fields are taken
 * apart, and only when every key and value is a primitive (nothing in them can be shared).
 */
import { types } from 'node:util';
import { deserialize, serialize } from 'node:v8';
import type { SectionReader, SectionWriter } from './snapshot-io.js';

/** A map or array of primitives. */
export type List = Map<unknown, unknown> | unknown[];

/** How a list was written: a map or an array, its entries and each piece's bytes. */
export interface ListSpec {
  readonly kind: 'map' | 'array';
  readonly length: number;
  readonly pieces: readonly number[];
}

/** Fields with fewer entries stay in the serialization. */
const MIN_ENTRIES = 4096;
/** Entries per piece (a piece takes a few milliseconds to deserialize). */
const PIECE = 32_768;
/** The most entries a list read back may say it has (V8 keeps no larger array in fast elements). */
const MAX_LENGTH = 2 ** 26;

const primitive = (value: unknown): boolean =>
  value === null || (typeof value !== 'object' && typeof value !== 'function');

/** Whether `value` is a list to write apart: a large plain Map or Array of primitives only. */
export function isLargeList(value: unknown): value is List {
  // By name, not by prototype: the index's maps may come from another realm (a test's, a worker's).
  if (types.isMap(value) && value.constructor.name === 'Map') {
    const map = value;
    if (map.size < MIN_ENTRIES) return false;
    for (const [k, v] of map) if (!primitive(k) || !primitive(v)) return false;
    return true;
  }
  if (Array.isArray(value) && value.constructor.name === 'Array') {
    if (value.length < MIN_ENTRIES) return false;
    for (let i = 0; i < value.length; i++) if (!primitive(value[i])) return false;
    return true;
  }
  return false;
}

/**
 * Writes `list` in pieces (a map's as keys and values in turn: a pair array per entry would be a
 * million more objects to deserialize and collect); what {@link readList} needs to read it back.
 */
export function writeList(writer: SectionWriter, list: List): ListSpec {
  let items = list as unknown[];
  if (types.isMap(list)) {
    items = [];
    for (const [k, v] of list) items.push(k, v);
  }
  const pieces: number[] = [];
  const step = types.isMap(list) ? 2 * PIECE : PIECE;
  for (let at = 0; at < items.length; at += step) {
    const bytes = serialize(items.slice(at, at + step));
    writer.write(bytes);
    pieces.push(bytes.byteLength);
  }
  return types.isMap(list)
    ? { kind: 'map', length: list.size, pieces }
    : { kind: 'array', length: list.length, pieces };
}

/**
 * Reads a list {@link writeList} wrote, a piece per turn. An array is made at its length first
 * (fast elements) and filled a piece at a time: joining the pieces at the end, one step, took
 * 0.4–0.5 s for a million strings in a restoring server (32 ms in a bare process), and appending
 * them an item at a time would grow it by copies.
 */
export async function readList(reader: SectionReader, spec: ListSpec): Promise<List> {
  const { length } = spec;
  if (!Number.isSafeInteger(length) || length < 0 || length > MAX_LENGTH) {
    throw new Error(`a list of ${length} entries`);
  }
  const map = spec.kind === 'map' ? new Map<unknown, unknown>() : null;
  const array = map === null ? new Array<unknown>(length) : null;
  let read = 0;
  for (const bytes of spec.pieces) {
    const piece = new Uint8Array(bytes);
    await reader.readInto(piece);
    const items = deserialize(piece) as unknown[];
    if (!Array.isArray(items)) throw new Error('a list piece is not an array');
    const entries = map === null ? items.length : items.length / 2;
    if (!Number.isInteger(entries) || read + entries > length)
      throw new Error('a list piece past its length');
    if (array !== null) for (let i = 0; i < items.length; i++) array[read + i] = items[i];
    else for (let i = 0; i + 1 < items.length; i += 2) map?.set(items[i], items[i + 1]);
    read += entries;
  }
  if (read !== length) throw new Error(`a list of ${read} entries, not ${length}`);
  return map ?? (array as unknown[]);
}
