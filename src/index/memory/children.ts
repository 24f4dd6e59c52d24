/**
 * The children of a node of the in-memory index's tree (an account's buckets, a bucket's groups, a
 * group's parts), by key: an exact-size array while there are few — the common case, and the whole
 * tree of a one-record account — and a Map past {@link SMALL}. A Map costs ~180 heap bytes even with
 * one entry (its object and hash table), an array of one 40; thousands of one-record tenants held
 * three Maps each. A holder changes form as it grows or shrinks, so callers keep what these return.
 */
import { itemAt } from '../../errors.js';

/** A child: its key is what it is found by (an interned string, shared by every node with that key). */
export interface Keyed {
  readonly key: string;
}

export type Children<T extends Keyed> = readonly T[] | Map<string, T>;

/** Children kept in an array up to this many (found by a linear scan of a few pointers). */
export const SMALL = 8;

/**
 * Heap bytes of a holder: an array's object and elements, or a Map's object and hash table (an
 * empty array: none, as one is only held until its first child comes, or by a node that is gone).
 */
export function childrenBytes(children: Children<Keyed>): number {
  if (children instanceof Map) return 64 + children.size * 40;
  return children.length === 0 ? 0 : 32 + 16 + children.length * 8;
}

export function childCount(children: Children<Keyed>): number {
  return children instanceof Map ? children.size : children.length;
}

export function childOf<T extends Keyed>(children: Children<T>, key: string): T | undefined {
  if (children instanceof Map) return children.get(key);
  for (const child of children) if (child.key === key) return child;
  return undefined;
}

/** The children, in the order they were added. */
export function eachChild<T extends Keyed>(children: Children<T>): Iterable<T> {
  return children instanceof Map ? children.values() : children;
}

/** The holder with `child` added (its key must be new). */
export function withChild<T extends Keyed>(children: Children<T>, child: T): Children<T> {
  if (children instanceof Map) return children.set(child.key, child);
  if (children.length < SMALL) return exactly([...children, child]);
  return new Map([...children, child].map((c) => [c.key, c]));
}

/** The holder without the child of `key` (if any); a Map back to an array once it is small. */
export function withoutChild<T extends Keyed>(children: Children<T>, key: string): Children<T> {
  if (!(children instanceof Map)) return exactly(children.filter((child) => child.key !== key));
  children.delete(key);
  return children.size > SMALL / 2 ? children : exactly([...children.values()]);
}

/** The items in an array of exactly their number (a spread or a filter leaves room for 16 more). */
function exactly<T>(items: readonly T[]): T[] {
  const array = new Array<T>(items.length);
  for (let i = 0; i < items.length; i++) array[i] = itemAt(items, i);
  return array;
}
