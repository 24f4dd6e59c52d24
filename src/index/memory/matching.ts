/**
 * Which slots of the in-memory index a filter matches. The tree is walked by partial evaluation
 * ({@link decide}): an account, bucket, group or part the filter decides as a whole is skipped or
 * taken at once, and only the rest is evaluated record by record; a filter that names its URIs is
 * answered from the URI lookup. Hidden slots (a commit in slices under way) are never matched. The
 * last answer is kept while nothing changed: both paths of a hybrid search ask for the same (frozen)
 * filter, the second one reuses it.
 */
import { itemAt } from '../../errors.js';
import { decide, evaluate, uriCandidates, type Expr } from '../../policy/index.js';
import { childCount, eachChild } from './children.js';
import type { Bucket, Part } from './groups.js';
import type { Placement } from './placement.js';
import { grow } from './pool.js';

export class SlotMatcher {
  /** The filter whose matching slots {@link slots} holds, while the placement's version is the same. */
  private last: { readonly filter: Expr; readonly version: number; readonly count: number } | null = null;
  private collected: Int32Array = new Int32Array(1024);
  /** Slots gathered so far by the {@link gather} in progress. */
  private found = 0;

  constructor(private readonly placement: Placement) {}

  /**
   * The slots the last {@link collect} found, in its first `n` entries, in the order the walk met
   * them (group by group). Only {@link gather} writes them.
   */
  get slots(): Int32Array {
    return this.collected;
  }

  /** Bytes of the slot buffer. */
  get bytes(): number {
    return this.collected.byteLength;
  }

  /** Collects the slots matching `filter` into {@link slots}; returns how many. */
  collect(filter: Expr): number {
    const last = this.last;
    const version = this.placement.version;
    if (last !== null && last.filter === filter && last.version === version) return last.count;
    const n = this.gather(filter);
    this.last = { filter, version, count: n };
    return n;
  }

  /** Finds the slots matching `filter` (into `this.collected`); returns how many. */
  private gather(filter: Expr): number {
    this.found = 0;
    const uris = uriCandidates(filter);
    if (uris !== null) {
      // Only records with these URIs can match: look them up instead of visiting groups.
      const placement = this.placement;
      for (const uri of new Set(uris))
        placement.forEachOfUri(uri, (slot) => {
          if (evaluate(filter, placement.fields(slot))) this.add(slot);
        });
    } else {
      for (const [account_id, buckets] of this.placement.accounts)
        if (decide(filter, { account_id }) !== false)
          for (const bucket of eachChild(buckets)) this.walk(filter, bucket);
    }
    return this.found;
  }

  /** Adds the slots of a bucket the filter matches, deciding bucket, groups and parts as wholes first. */
  private walk(filter: Expr, bucket: Bucket): void {
    // A bucket of one group is decided with the group's fields alone (one decision, not two).
    const b = childCount(bucket.groups) > 1 ? decide(filter, bucket.known, bucket.root) : null;
    if (b === false) return;
    for (const group of eachChild(bucket.groups)) {
      const g = b ?? decide(filter, group.known, group.root);
      if (g === false) continue;
      for (const part of eachChild(group.parts)) {
        const p = g ?? decide(filter, part.known, part.root);
        if (p === false) continue;
        if (p === true) {
          this.addPart(part);
          continue;
        }
        for (let i = 0; i < part.count; i++) {
          const slot = itemAt(part.slots, i);
          if (evaluate(filter, this.placement.fields(slot))) this.add(slot);
        }
      }
    }
  }

  private add(slot: number): void {
    if (this.placement.hiding && this.placement.isHidden(slot)) return;
    if (this.found === this.collected.length) this.collected = grow(this.collected, this.found * 2);
    this.collected[this.found++] = slot;
  }

  private addPart(part: Part): void {
    if (this.placement.hiding) {
      for (let i = 0; i < part.count; i++) this.add(itemAt(part.slots, i));
      return;
    }
    const n = this.found;
    if (n + part.count > this.collected.length)
      this.collected = grow(this.collected, Math.max(n + part.count, this.collected.length * 2));
    const slots = part.slots;
    if (slots instanceof Int32Array) this.collected.set(slots.subarray(0, part.count), n);
    else for (let i = 0; i < part.count; i++) this.collected[n + i] = itemAt(slots, i);
    this.found = n + part.count;
  }
}
