/**
 * Strings the in-memory index keeps once however many rows and tree nodes use them (accounts,
 * scopes, owners, URIs, the tree's keys and roots: 8,000 one-record tenants share one
 * `viking://resources`), counted by their users and forgotten with the last, with the bytes they
 * take for the index's budget.
 */

/**
 * Heap bytes of a Map entry: V8's hash table takes 28 bytes a slot and doubles when full, so an
 * entry costs 28–56 (46 measured at 20,000 entries).
 */
export const MAP_ENTRY_BYTES = 48;
/** A shared value's map entry and its { value, refs } record (40 bytes, measured). */
const SHARED_ENTRY_BYTES = MAP_ENTRY_BYTES + 40;
/** V8 makes no sliced string shorter than this: shorter ones are copies already. */
const SLICE_MIN = 13;
/**
 * Heap bytes per element of a JS array grown by appending (per-slot arrays): a pointer, and V8
 * grows the array by half its length again, so up to 4 more of spare capacity.
 */
export const GROWN_ARRAY_BYTES = 12;
/** A character V8 cannot store in a one-byte string. */
const WIDE = /[\u0100-\uffff]/;

/** Heap bytes of a string: header, then one byte a character (ASCII) or two. */
export function stringBytes(s: string | null): number {
  if (s === null) return 0;
  return 16 + Math.ceil((s.length * (WIDE.test(s) ? 2 : 1)) / 8) * 8;
}

/**
 * Heap bytes of a string made by {@link ownCopy}: a slice (32 bytes) of a copy one character
 * longer, or a short string as it is.
 */
export function ownBytes(s: string | null): number {
  if (s === null) return 0;
  return s.length < SLICE_MIN ? stringBytes(s) : 32 + stringBytes(`${s} `);
}

/**
 * A string with storage of its own (a slice of a larger string keeps that string alive). Slicing a
 * concatenation makes V8 flatten it into a fresh string first: the result refers to that copy only.
 */
export function ownCopy(s: string): string;
export function ownCopy(s: string | null): string | null;
export function ownCopy(s: string | null): string | null {
  if (s === null || s.length < SLICE_MIN) return s;
  return `${s} `.slice(0, -1);
}

export class SharedStrings {
  private readonly kept = new Map<string, { readonly value: string; refs: number }>();
  private held = 0;

  /** Bytes of the strings kept and their entries. */
  get bytes(): number {
    return this.held;
  }

  /** The kept copy of `s`, if kept (no reference taken). */
  find(s: string): string | undefined {
    return this.kept.get(s)?.value;
  }

  /** Bytes holding `s` would add (0 when kept already). */
  cost(s: string): number {
    return this.kept.has(s) ? 0 : ownBytes(s) + SHARED_ENTRY_BYTES;
  }

  /**
   * Takes a reference to `s`, kept from now on if new — as given, so pass a string with storage of
   * its own ({@link ownCopy}) — and returns the kept copy.
   */
  hold(s: string): string {
    const entry = this.kept.get(s);
    if (entry !== undefined) {
      entry.refs += 1;
      return entry.value;
    }
    this.kept.set(s, { value: s, refs: 1 });
    this.held += ownBytes(s) + SHARED_ENTRY_BYTES;
    return s;
  }

  /** {@link hold} for a string that may be a slice or a concatenation: copied only when new. */
  keep(s: string): string {
    return this.hold(this.find(s) ?? ownCopy(s));
  }

  /** Gives a reference back, forgetting `s` with its last one. */
  release(s: string): void {
    const entry = this.kept.get(s);
    if (entry === undefined || --entry.refs > 0) return;
    this.kept.delete(s);
    this.held -= ownBytes(s) + SHARED_ENTRY_BYTES;
  }
}
