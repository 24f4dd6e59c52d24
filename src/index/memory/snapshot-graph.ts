/**
 * Turns the in-memory index's JS structures (columns, pools, dictionary, tree) into bytes and back,
 * for a snapshot (snapshot.ts). V8's serializer writes typed arrays as raw bytes and keeps shared and
 * cyclic references; what it cannot keep — the class of an object, a function — is recorded here.
 * The index's class instances are a few owners (placement, row store, postings, …) that refer to
 * each other only through their fields; everything below them is plain data (typed arrays, arrays,
 * maps, object literals). So each instance is written as its class name, its data fields and the
 * indexes of the instances its other fields hold — all in one serialization, so data shared between
 * owners stays shared — and a restore rebuilds the instances without walking the data. A class
 * instance found inside the data refuses the snapshot at write time. Classes are found again, at
 * restore, among the objects of a freshly built sample index (so a class the running code lacks, or
 * whose fields differ from the snapshot's, refuses the snapshot instead of restoring it wrongly).
 * Function fields are left out; their owner puts them back.
 * Large typed arrays (the columns, postings pools and per-slot arrays: most of the bytes) are not
 * serialized: the serialization holds a placeholder, and the arrays themselves are handed to the
 * caller, which writes them raw from their own memory and reads them back straight into arrays of
 * their own (snapshot-arrays.ts) — so the serialized rest stays small and is deserialized quickly.
 */
import { types } from 'node:util';
import { DefaultDeserializer, DefaultSerializer } from 'node:v8';
import { isLargeList, type List } from './snapshot-lists.js';

interface PackedInstance {
  readonly c: string;
  readonly data: Record<string, unknown>;
  readonly refs: Record<string, number>;
  /** Fields holding a large list of primitives, written apart (snapshot-lists.ts): its position. */
  readonly lists: Record<string, number>;
  /** Fields holding a large array of objects (per-slot lookups), written as a column: see {@link RefColumn}. */
  readonly columns: Record<string, RefColumn>;
}

/**
 * A large array of references to plain objects (a per-slot lookup such as a slot's part or pool: a
 * million entries naming a few thousand objects) written as the distinct objects once and, per
 * entry, its object's position among them (-1: undefined). The positions are a typed array, written
 * apart raw; as references in the serialization they took ~4.5 bytes an entry to write and one
 * lookup each to read (5 such arrays were over half of `graph.bin` at 1M).
 */
interface RefColumn {
  readonly table: object[];
  readonly at: Int32Array;
}

/** Entries of a {@link RefColumn} put back per turn by {@link reviveGraphInTurns} (a few milliseconds). */
const COLUMN_PER_TURN = 131_072;

/** Arrays of objects with fewer entries stay in the serialization. */
const MIN_COLUMN = 4096;

/** Whether `value` is an array to write as a {@link RefColumn}: large, of plain objects or undefined. */
function isRefColumn(value: unknown): value is Array<object | undefined> {
  if (!Array.isArray(value) || value.constructor.name !== 'Array' || value.length < MIN_COLUMN) return false;
  for (let i = 0; i < value.length; i++) {
    const item: unknown = value[i];
    if (item === undefined) continue;
    if (item === null || typeof item !== 'object' || isLeaf(item) || isInstance(item)) return false;
  }
  return true;
}

function toColumn(items: ReadonlyArray<object | undefined>): RefColumn {
  const table: object[] = [];
  const known = new Map<object, number>();
  const at = new Int32Array(items.length);
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (item === undefined) {
      at[i] = -1;
      continue;
    }
    let position = known.get(item);
    if (position === undefined) {
      position = table.push(item) - 1;
      known.set(item, position);
    }
    at[i] = position;
  }
  return { table, at };
}

/** The array a {@link RefColumn} was made of, at its length (fast elements), entries not filled yet. */
function columnArray({ table, at }: RefColumn): Array<object | undefined> {
  if (!Array.isArray(table) || !types.isInt32Array(at)) throw new SnapshotGraphError('a malformed column');
  return new Array<object | undefined>(at.length);
}

/** Fills entries `from` .. `to` - 1 of {@link columnArray}'s array. */
function fillColumn(
  { table, at }: RefColumn,
  items: Array<object | undefined>,
  from: number,
  to: number,
): void {
  for (let i = from; i < to; i++) {
    const position = at[i] as number;
    const item = position === -1 ? undefined : table[position];
    if (item === undefined && position !== -1)
      throw new SnapshotGraphError(`no object ${position} in a column`);
    items[i] = item;
  }
}

/** Why a graph cannot be packed or revived (the snapshot is refused). */
export class SnapshotGraphError extends Error {}

/** An object literal (its prototype Object.prototype, of whichever realm deserialized it). */
function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as object | null;
  return proto === null || Object.getPrototypeOf(proto) === null;
}

function isLeaf(value: object): boolean {
  return ArrayBuffer.isView(value) || types.isAnyArrayBuffer(value);
}

/** A class instance (not plain data: object literal, array, map, set, typed array). */
function isInstance(value: unknown): boolean {
  return (
    value !== null &&
    typeof value === 'object' &&
    !isLeaf(value) &&
    !Array.isArray(value) &&
    !types.isMap(value) &&
    !types.isSet(value) &&
    !isPlain(value)
  );
}

/** Every own field name of the class instances in a graph, by class name (a shape to compare). */
export type Shapes = Record<string, string>;

function shapeOf(value: object): string {
  return Object.keys(value).sort().join(',');
}

const nameOf = (value: object): string => (value.constructor as { name: string }).name;

/** Throws if plain data holds a class instance or a function (it would not be restored as such). */
function checkData(value: unknown, seen: Set<object>): void {
  if (typeof value === 'function') throw new SnapshotGraphError('a function inside data');
  if (value === null || typeof value !== 'object' || isLeaf(value) || seen.has(value)) return;
  if (isInstance(value)) throw new SnapshotGraphError(`an instance of ${nameOf(value)} inside data`);
  seen.add(value);
  if (Array.isArray(value)) {
    for (const item of value) {
      if (item !== null && typeof item === 'object') checkData(item, seen);
      else if (typeof item === 'function') checkData(item, seen);
    }
  } else if (types.isMap(value)) {
    for (const [k, v] of value) {
      checkData(k, seen);
      checkData(v, seen);
    }
  } else if (types.isSet(value)) {
    for (const v of value) checkData(v, seen);
  } else {
    for (const v of Object.values(value)) checkData(v, seen);
  }
}

/** The typed arrays a graph's serialization refers to by their position (written apart from it). */
export type TypedArray =
  | Int8Array<ArrayBuffer>
  | Uint8Array<ArrayBuffer>
  | Uint8ClampedArray<ArrayBuffer>
  | Int16Array<ArrayBuffer>
  | Uint16Array<ArrayBuffer>
  | Int32Array<ArrayBuffer>
  | Uint32Array<ArrayBuffer>
  | Float32Array<ArrayBuffer>
  | Float64Array<ArrayBuffer>
  | BigInt64Array<ArrayBuffer>
  | BigUint64Array<ArrayBuffer>
  | Buffer<ArrayBuffer>;

/** The typed array classes an array written apart may have, by name. */
export const ARRAY_TYPES = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
} as const;
/** The class names of the arrays that may be written apart (Node's Buffer is a Uint8Array). */
export type ArrayType = keyof typeof ARRAY_TYPES | 'Buffer';

const isArrayType = (name: string): name is ArrayType =>
  name === 'Buffer' || Object.hasOwn(ARRAY_TYPES, name);

/** A zeroed array of class `type` of `bytes` bytes, with a buffer of exactly its own bytes. */
export function allocateArray(type: string, bytes: number): TypedArray {
  if (!isArrayType(type)) throw new SnapshotGraphError(`no typed array class ${type}`);
  // Buffer.alloc never hands out a slice of Node's shared pool.
  if (type === 'Buffer') return Buffer.alloc(bytes);
  const Type = ARRAY_TYPES[type];
  if (bytes % Type.BYTES_PER_ELEMENT !== 0) throw new SnapshotGraphError(`${bytes} bytes of ${type}`);
  return new Type(bytes / Type.BYTES_PER_ELEMENT);
}

/** Typed arrays of at least this many bytes are written apart from the serialization. */
export const APART_BYTES = 64 * 1024;

/** Tags before each typed array in the serialization: its bytes follow, or its position among those apart. */
const IN_BAND = 0;
const APART = 1;

/** Node's serializer, except that large typed arrays are left out (a placeholder: their position). */
class SplittingSerializer extends DefaultSerializer {
  readonly apart: TypedArray[] = [];

  constructor(private readonly minBytes: number) {
    super();
  }

  _writeHostObject(view: ArrayBufferView): void {
    const type = (view.constructor as { name: string }).name;
    if (view.byteLength >= this.minBytes && isArrayType(type)) {
      this.writeUint32(APART);
      this.writeUint32(this.apart.length);
      this.apart.push(view as TypedArray);
      return;
    }
    this.writeUint32(IN_BAND);
    // Node's hook for host objects, which @types/node does not declare.
    const base = DefaultSerializer.prototype as unknown as { _writeHostObject(view: ArrayBufferView): void };
    base._writeHostObject.call(this, view);
  }
}

/**
 * Serializes a plain object `root` whose fields (and those of the class instances they reach through
 * fields) are instances or data; function fields are skipped. `shapes` receives each class's fields;
 * `arrays` the typed arrays of `minBytes` or more, in the order the serialization refers to them;
 * `lists` the large lists of primitives held by the instances' fields (snapshot-lists.ts).
 */
export function packGraph(
  root: Record<string, unknown>,
  minBytes = APART_BYTES,
): { bytes: Buffer; shapes: Shapes; arrays: TypedArray[]; lists: List[] } {
  const shapes: Shapes = {};
  const index = new Map<object, number>();
  const packed: PackedInstance[] = [];
  const seen = new Set<object>();
  const lists: List[] = [];
  const listAt = new Map<List, number>();
  const apart = (list: List): number => {
    const known = listAt.get(list);
    if (known !== undefined) return known;
    listAt.set(list, lists.length);
    return lists.push(list) - 1;
  };
  const split = (fields: object): Omit<PackedInstance, 'c'> => {
    const data: Record<string, unknown> = {};
    const refs: Record<string, number> = {};
    const listed: Record<string, number> = {};
    const columns: Record<string, RefColumn> = {};
    for (const [k, v] of Object.entries(fields)) {
      if (typeof v === 'function') continue;
      if (isInstance(v)) refs[k] = add(v as object);
      else if (isLargeList(v)) listed[k] = apart(v);
      else if (isRefColumn(v)) {
        const column = toColumn(v);
        checkData(column.table, seen);
        columns[k] = column;
      } else {
        checkData(v, seen);
        data[k] = v;
      }
    }
    return { data, refs, lists: listed, columns };
  };
  const add = (instance: object): number => {
    const known = index.get(instance);
    if (known !== undefined) return known;
    const at = packed.length;
    index.set(instance, at);
    const name = nameOf(instance);
    const shape = shapeOf(instance);
    if (shapes[name] !== undefined && shapes[name] !== shape) {
      throw new SnapshotGraphError(`instances of ${name} differ in their fields`);
    }
    shapes[name] = shape;
    const entry = { c: name, data: {}, refs: {}, lists: {}, columns: {} };
    packed.push(entry);
    Object.assign(entry, split(fieldsOf(instance)));
    return at;
  };
  const top = split(root);
  const serializer = new SplittingSerializer(minBytes);
  serializer.writeHeader();
  serializer.writeValue({ root: top, instances: packed });
  return { bytes: serializer.releaseBuffer(), shapes, arrays: serializer.apart, lists };
}

/**
 * The fields a class instance is written with: those its `snapshotFields()` gives if it has that
 * method (the same names, some in another form, which the owner puts back after a restore), else its own.
 */
function fieldsOf(instance: object): object {
  const custom = (instance as { snapshotFields?: unknown }).snapshotFields;
  return typeof custom === 'function' ? (custom.call(instance) as object) : instance;
}

/** Class prototypes by name, and their shapes, from the class instances a graph reaches through fields. */
export function classesOf(root: Record<string, unknown>): { protos: Map<string, object>; shapes: Shapes } {
  const protos = new Map<string, object>();
  const shapes: Shapes = {};
  const seen = new Set<object>();
  const walk = (fields: object): void => {
    for (const v of Object.values(fields)) {
      if (!isInstance(v) || seen.has(v as object)) continue;
      const instance = v as object;
      seen.add(instance);
      const name = nameOf(instance);
      protos.set(name, Object.getPrototypeOf(instance) as object);
      shapes[name] = shapeOf(instance);
      walk(instance);
    }
  };
  walk(root);
  return { protos, shapes };
}

/**
 * V8's deserializer as Node sets it up, except that the typed arrays written apart are taken from
 * `apart` and every other typed array gets a buffer of its own: Node makes an aligned typed array a
 * view into the bytes being read, so a few live arrays would keep the whole section alive.
 */
class CopyingDeserializer extends DefaultDeserializer {
  constructor(
    bytes: Buffer,
    private readonly apart: readonly TypedArray[],
  ) {
    super(bytes);
  }

  _readHostObject(): ArrayBufferView {
    if (this.readUint32() === APART) {
      const at = this.readUint32();
      const array = this.apart[at];
      if (array === undefined) throw new SnapshotGraphError(`no array ${at} apart`);
      return array;
    }
    // Node's hook for host objects, which @types/node does not declare.
    const base = DefaultDeserializer.prototype as unknown as { _readHostObject(): ArrayBufferView };
    const view = base._readHostObject.call(this);
    if (view instanceof DataView) {
      return new DataView(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength));
    }
    return Uint8Array.prototype.slice.call(view);
  }
}

function deserialize(bytes: Uint8Array, apart: readonly TypedArray[]): unknown {
  const reader = new CopyingDeserializer(
    Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    apart,
  );
  reader.readHeader();
  return reader.readValue();
}

/**
 * Deserializes what {@link packGraph} wrote, giving instances their classes back from `protos`
 * (their function fields are still missing), its large typed arrays from `arrays` and its lists from
 * `lists` (what it gave, in its order). Throws SnapshotGraphError for a class not in `protos` (check
 * the fields with {@link checkShapes} once the functions are back). Its columns ({@link RefColumn})
 * are put back at once; {@link reviveGraphInTurns} puts them back a slice per turn.
 */
export function reviveGraph(
  bytes: Uint8Array,
  protos: Map<string, object>,
  arrays: readonly TypedArray[] = [],
  lists: readonly List[] = [],
): Record<string, unknown> {
  const { root, columns } = revive(bytes, protos, arrays, lists);
  for (const column of columns) fillColumn(column.column, column.made(), 0, column.column.at.length);
  return root;
}

/**
 * {@link reviveGraph}, the columns put back {@link COLUMN_PER_TURN} entries at a time, awaiting
 * `turn` between two (a million entries took ~50 ms, appending them ~0.15 s).
 */
export async function reviveGraphInTurns(
  bytes: Uint8Array,
  protos: Map<string, object>,
  arrays: readonly TypedArray[],
  lists: readonly List[],
  turn: () => Promise<void>,
): Promise<Record<string, unknown>> {
  const { root, columns } = revive(bytes, protos, arrays, lists);
  for (const { column, made } of columns) {
    // Made on a turn of its own (a million entries: ~20 ms), then filled a slice per turn.
    await turn();
    const items = made();
    for (let from = 0; from < items.length; from += COLUMN_PER_TURN) {
      await turn();
      fillColumn(column, items, from, Math.min(items.length, from + COLUMN_PER_TURN));
    }
  }
  return root;
}

function revive(
  bytes: Uint8Array,
  protos: Map<string, object>,
  arrays: readonly TypedArray[],
  lists: readonly List[],
): {
  root: Record<string, unknown>;
  /** Each column, and what makes its array (its field holds null until then). */
  columns: Array<{ column: RefColumn; made: () => Array<object | undefined> }>;
} {
  const raw = deserialize(bytes, arrays) as {
    root: Omit<PackedInstance, 'c'>;
    instances: PackedInstance[];
  };
  const made = raw.instances.map(({ c }) => {
    const proto = protos.get(c);
    if (proto === undefined) throw new SnapshotGraphError(`class ${c} is unknown`);
    return Object.create(proto) as Record<string, unknown>;
  });
  const columned: Array<{ column: RefColumn; made: () => Array<object | undefined> }> = [];
  const fill = (
    target: Record<string, unknown>,
    { data, refs, lists: listed, columns }: Omit<PackedInstance, 'c'>,
  ): void => {
    Object.assign(target, data);
    for (const [k, column] of Object.entries(columns ?? {})) {
      target[k] = null;
      columned.push({
        column,
        made: () => {
          const items = columnArray(column);
          target[k] = items;
          return items;
        },
      });
    }
    for (const [k, at] of Object.entries(listed)) {
      const list = lists[at];
      if (list === undefined) throw new SnapshotGraphError(`no list ${at} apart`);
      target[k] = list;
    }
    for (const [k, at] of Object.entries(refs)) {
      const instance = made[at];
      if (instance === undefined) throw new SnapshotGraphError(`no instance ${at}`);
      target[k] = instance;
    }
  };
  raw.instances.forEach((entry, i) => fill(made[i] as Record<string, unknown>, entry));
  const root: Record<string, unknown> = {};
  fill(root, raw.root);
  return { root, columns: columned };
}

/** Throws unless each class in the graph (functions put back) has the fields `expected` names. */
export function checkShapes(root: Record<string, unknown>, expected: Shapes): void {
  const { shapes } = classesOf(root);
  for (const [name, shape] of Object.entries(shapes)) {
    if (expected[name] !== shape) {
      throw new SnapshotGraphError(`class ${name} has other fields than the snapshot's`);
    }
  }
}
