/**
 * Namespace grouping of the in-memory index: records are grouped by the fields a visibility filter
 * tests — (account, scope, a URI root) in a bucket, the owners in a group of the bucket and, within a
 * group, (a deeper URI root, context type, level) in a part — so a filter is decided once per
 * bucket, group or part by partial evaluation ({@link decide}) and only the rest is evaluated record
 * by record. Buckets let a USER's filter skip every other user's (or agent's) root with one decision
 * where an isolating policy splits it into a group per (user, agent) pair.
 */
import type { FilterField, FilterRecord, IndexRecord } from '../../policy/index.js';
import type { Children } from './children.js';
import { URI_PREFIX } from '../../policy/index.js';

/** The fields of a record the grouping and the per-record residual filters read. */
export type GroupedFields = Pick<IndexRecord, FilterField>;

/** A part: records of one group under one URI root with one context type and level. */
export interface Part {
  readonly key: string;
  readonly known: FilterRecord;
  readonly root: string;
  /** Its slots in the first `count` entries: a plain array while small, then an Int32Array. */
  slots: PartSlots;
  count: number;
}

export type PartSlots = Int32Array | number[];

/** A bucket: the groups of one account and scope under one group root (they differ by owners). */
export interface Bucket {
  readonly key: string;
  readonly known: FilterRecord;
  readonly root: string;
  groups: Children<Group>;
  size: number;
}

export interface Group {
  readonly key: string;
  readonly known: FilterRecord;
  readonly root: string;
  parts: Children<Part>;
  size: number;
}

/** URI segments a group's root keeps per scope (a part's root goes deeper, up to PART_DEPTH). */
const GROUP_DEPTH: Readonly<Record<string, number>> = { resources: 1, session: 1, user: 2, agent: 2 };
const PART_DEPTH: Readonly<Record<string, number>> = { resources: 2, session: 2, user: 4, agent: 4 };
const PREFIX = URI_PREFIX;

/** The first `n` segments of a URI as a URI (`viking://` for none). */
function prefixOf(segments: readonly string[], n: number): string {
  return PREFIX + segments.slice(0, n).join('/');
}

/**
 * Where a record belongs: its group and part roots are ancestors (or the URI itself) of its URI, so
 * every record of a part lies in the subtree of the part's root — what {@link decide} relies on.
 */
export function placeOf(r: GroupedFields): {
  bucketKey: string;
  groupKey: string;
  partKey: string;
  groupRoot: string;
  partRoot: string;
} {
  const segments = r.uri.startsWith(PREFIX) ? r.uri.slice(PREFIX.length).split('/').filter(Boolean) : [];
  const g = Math.min(GROUP_DEPTH[r.scope] ?? 0, segments.length);
  // A part root stops above the last segment, so files of one folder share a part.
  const p = Math.max(g, Math.min(PART_DEPTH[r.scope] ?? 0, segments.length - 1));
  const groupRoot = prefixOf(segments, g);
  const partRoot = prefixOf(segments, p);
  const groupKey = JSON.stringify([r.scope, r.owner_user_id, r.owner_agent_id, groupRoot]);
  return {
    bucketKey: JSON.stringify([r.scope, groupRoot]),
    groupKey,
    partKey: JSON.stringify([partRoot, r.context_type, r.level]),
    groupRoot,
    partRoot,
  };
}

/** Where a record belongs (see {@link placeOf}). */
export type Place = ReturnType<typeof placeOf>;

/**
 * {@link placeOf} for many records at once: records of one folder with the same scope, owners, type
 * and level have the same place, so a batch computes it once per folder instead of once per record.
 */
export class PlaceCache {
  private readonly byFolder = new Map<string, Array<{ readonly r: GroupedFields; readonly place: Place }>>();

  of(r: GroupedFields): Place {
    const folder = r.uri.slice(0, r.uri.lastIndexOf('/'));
    let known = this.byFolder.get(folder);
    if (known === undefined) this.byFolder.set(folder, (known = []));
    for (const { r: o, place } of known) {
      if (
        o.scope === r.scope &&
        o.owner_user_id === r.owner_user_id &&
        o.owner_agent_id === r.owner_agent_id &&
        o.context_type === r.context_type &&
        o.level === r.level
      )
        return place;
    }
    const place = placeOf(r);
    known.push({ r, place });
    return place;
  }
}

/**
 * The tree's nodes. Keys and roots are passed in as the index keeps them (shared with every node
 * that has the same); each `known` is a fresh literal of fixed fields, so all of a kind share one
 * hidden class (a spread gave every part's its own: ~280 heap bytes a part).
 */
export function newBucket(r: GroupedFields, key: string, root: string): Bucket {
  return { key, known: { account_id: r.account_id, scope: r.scope }, root, groups: [], size: 0 };
}

export function newGroup(r: GroupedFields, key: string, root: string): Group {
  const known: FilterRecord = {
    account_id: r.account_id,
    scope: r.scope,
    owner_user_id: r.owner_user_id,
    owner_agent_id: r.owner_agent_id,
  };
  return { key, known, root, parts: [], size: 0 };
}

export function newPart(r: GroupedFields, key: string, root: string): Part {
  const known: FilterRecord = {
    account_id: r.account_id,
    scope: r.scope,
    owner_user_id: r.owner_user_id,
    owner_agent_id: r.owner_agent_id,
    context_type: r.context_type,
    level: r.level,
  };
  return { key, known, root, slots: [], count: 0 };
}
