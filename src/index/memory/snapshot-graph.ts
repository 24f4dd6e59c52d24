/**
 * Turns the in-memory index's JS structures (columns, pools, dictionary, tree) into bytes and back,
 * for a snapshot (snapshot.ts). V8's serializer writes typed arrays as raw bytes and keeps shared and
 * cyclic references; what it cannot keep — the class of an object, a function — is recorded here:
 * an instance becomes `{ $c: class name, $f: own fields }` and its class is found again, at restore,
 * among the objects of a freshly built sample index (so a class the running code lacks, or whose
 * fields differ from the snapshot's, refuses the snapshot instead of restoring it wrongly). Function
 * fields are left out; the owner puts them back ({@link Revived.functions}).
 */
import { deserialize, serialize } from 'node:v8';

interface Packed {
  readonly $c: string;
  readonly $f: Record<string, unknown>;
}

/** Why a graph cannot be packed or revived (the snapshot is refused). */
export class SnapshotGraphError extends Error {}

function isPlain(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function isLeaf(value: object): boolean {
  return ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof SharedArrayBuffer;
}

/** Every own field name of the class instances in a graph, by class name (a shape to compare). */
export type Shapes = Record<string, string>;

function shapeOf(value: object): string {
  return Object.keys(value).sort().join(',');
}

/** Serializes `root`; functions are skipped, `shapes` receives each class's field names. */
export function packGraph(root: unknown): { bytes: Buffer; shapes: Shapes } {
  const shapes: Shapes = {};
  const seen = new Map<object, unknown>();
  const pack = (value: unknown): unknown => {
    if (typeof value === 'function') return undefined;
    if (value === null || typeof value !== 'object' || isLeaf(value)) return value;
    const done = seen.get(value);
    if (done !== undefined) return done;
    if (Array.isArray(value)) {
      const out: unknown[] = [];
      seen.set(value, out);
      for (const item of value) out.push(pack(item));
      return out;
    }
    if (value instanceof Map) {
      const out = new Map<unknown, unknown>();
      seen.set(value, out);
      for (const [k, v] of value) out.set(pack(k), pack(v));
      return out;
    }
    if (value instanceof Set) {
      const out = new Set<unknown>();
      seen.set(value, out);
      for (const v of value) out.add(pack(v));
      return out;
    }
    const fields: Record<string, unknown> = {};
    const plain = isPlain(value);
    const name = (value.constructor as { name: string }).name;
    const out: Packed | Record<string, unknown> = plain ? fields : { $c: name, $f: fields };
    seen.set(value, out);
    if (!plain) {
      const shape = shapeOf(value);
      if (shapes[name] !== undefined && shapes[name] !== shape) {
        throw new SnapshotGraphError(`instances of ${name} differ in their fields`);
      }
      shapes[name] = shape;
    }
    for (const [k, v] of Object.entries(value)) {
      if (typeof v !== 'function') fields[k] = pack(v);
    }
    return out;
  };
  const packed = pack(root);
  return { bytes: serialize(packed), shapes };
}

/** Class prototypes by name, and their shapes, harvested from a sample graph. */
export function classesOf(root: unknown): { protos: Map<string, object>; shapes: Shapes } {
  const protos = new Map<string, object>();
  const shapes: Shapes = {};
  const seen = new Set<object>();
  const walk = (value: unknown): void => {
    if (value === null || typeof value !== 'object' || isLeaf(value) || seen.has(value)) return;
    seen.add(value);
    if (Array.isArray(value) || value instanceof Set) {
      for (const item of value as Iterable<unknown>) walk(item);
      return;
    }
    if (value instanceof Map) {
      for (const [k, v] of value) {
        walk(k);
        walk(v);
      }
      return;
    }
    if (!isPlain(value)) {
      const name = (value.constructor as { name: string }).name;
      protos.set(name, Object.getPrototypeOf(value) as object);
      shapes[name] = shapeOf(value);
    }
    for (const v of Object.values(value)) walk(v);
  };
  walk(root);
  return { protos, shapes };
}

/**
 * Deserializes what {@link packGraph} wrote, giving instances their classes back from `protos`.
 * Throws SnapshotGraphError for a class not in `protos` (check the fields with {@link checkShapes}).
 */
export function reviveGraph(bytes: Uint8Array, protos: Map<string, object>): unknown {
  const raw: unknown = deserialize(bytes);
  const seen = new Map<object, unknown>();
  const revive = (value: unknown): unknown => {
    if (value === null || typeof value !== 'object' || isLeaf(value)) return value;
    const done = seen.get(value);
    if (done !== undefined) return done;
    if (Array.isArray(value)) {
      seen.set(value, value);
      for (let i = 0; i < value.length; i++) value[i] = revive(value[i]);
      return value;
    }
    if (value instanceof Map) {
      const out = new Map<unknown, unknown>();
      seen.set(value, out);
      for (const [k, v] of value) out.set(revive(k), revive(v));
      return out;
    }
    if (value instanceof Set) {
      const out = new Set<unknown>();
      seen.set(value, out);
      for (const v of value) out.add(revive(v));
      return out;
    }
    const record = value as Record<string, unknown>;
    if (typeof record.$c === 'string' && typeof record.$f === 'object' && record.$f !== null) {
      const name = record.$c;
      const proto = protos.get(name);
      if (proto === undefined) throw new SnapshotGraphError(`class ${name} is unknown`);
      const instance = Object.create(proto) as Record<string, unknown>;
      seen.set(value, instance);
      for (const [k, v] of Object.entries(record.$f as Record<string, unknown>)) instance[k] = revive(v);
      return instance;
    }
    seen.set(value, value);
    for (const [k, v] of Object.entries(record)) record[k] = revive(v);
    return value;
  };
  return revive(raw);
}

/** Throws unless each class in the graph (functions put back) has the fields `expected` names. */
export function checkShapes(root: unknown, expected: Shapes): void {
  const { shapes } = classesOf(root);
  for (const [name, shape] of Object.entries(shapes)) {
    if (expected[name] !== undefined && expected[name] !== shape) {
      throw new SnapshotGraphError(`class ${name} has other fields than the snapshot's`);
    }
  }
}
