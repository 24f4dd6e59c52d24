/**
 * A snapshot of an in-memory index on disk, so that a restarted server answers from memory without
 * rebuilding it: a directory holding the JS structures (snapshot-graph.ts: a small serialized rest,
 * its large typed arrays apart, raw, and its large lists of strings and numbers apart, in pieces), the arena's linear memory (int8 copies) and a copy of its
 * vector file (float32 rows), with a manifest naming what it reflects (`key`: embedder and dimension;
 * `version`: the table version or PostgreSQL seq), the code that wrote it, and each section's length
 * and CRC-32. It is written to a temporary directory and renamed, so a snapshot directory is whole
 * or absent; a write that passes its deadline is abandoned. A restore reads each section a chunk at
 * a time straight into where it belongs (snapshot-io.ts), checks all of it before using any of it
 * and consumes it (the vector file becomes the index's own, unlinked), so a snapshot is used at most
 * once.
 */
import { createHash } from 'node:crypto';
import {
  constants,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { copyFile, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { VectorArena, type ArenaFields, type ArenaOptions } from './arena.js';
import { MemoryIndex, type IndexParts } from './index.js';
import { classesOf, checkShapes, packGraph, reviveGraphInTurns, type Shapes } from './snapshot-graph.js';
import { readList, writeList, type List, type ListSpec } from './snapshot-lists.js';
import { Checksummer, checksums } from './snapshot-crc.js';
import {
  byDeadline,
  CHUNK,
  readArrays,
  SectionReader,
  SectionWriter,
  writeArrays,
  type ArraySpec,
  type SectionSum,
} from './snapshot-io.js';

/** Bumped when what a snapshot holds changes in a way the code hash would not show. */
const FORMAT = 3;
const SECTIONS = ['graph.bin', 'arrays.bin', 'lists.bin', 'memory.bin', 'vectors.f32'] as const;
type Section = (typeof SECTIONS)[number];

/** What a snapshot must reflect to be restored. */
export interface SnapshotKey {
  /** The embedder's id and dimension (or anything else that must match exactly). */
  readonly key: string;
  /** The table version (or PostgreSQL seq) the index agrees with. */
  readonly version: number;
}

interface Manifest extends SnapshotKey {
  readonly format: number;
  readonly code: string;
  readonly records: number;
  readonly dimension: number;
  readonly shapes: Shapes;
  /** The typed arrays written apart (arrays.bin), in the order the serialized rest refers to them. */
  readonly arrays: readonly ArraySpec[];
  /** The lists of primitives written apart (lists.bin), in the order the serialized rest refers to them. */
  readonly lists: readonly ListSpec[];
  readonly sections: Record<Section, SectionSum>;
}

/** Why a snapshot was not restored (it is deleted; the index is loaded as without one). */
export class SnapshotRefused extends Error {}

let codeHash: string | null = null;

/** A hash of the in-memory index's source files: a snapshot written by other code is refused. */
function code(): string {
  if (codeHash !== null) return codeHash;
  const dir = dirname(fileURLToPath(import.meta.url));
  const hash = createHash('sha256');
  for (const name of readdirSync(dir).sort()) {
    if (/\.test\.|\.d\.ts$/.test(name) || !/\.(js|ts|wat)$/.test(name)) continue;
    hash.update(name).update(readFileSync(join(dir, name)));
  }
  codeHash = hash.digest('hex');
  return codeHash;
}

/**
 * Removes what writes of a snapshot to `dir` left behind when the process died half-way (a temporary
 * directory as large as a snapshot). One process owns DATA_DIR (its lock), so none is in progress.
 */
export function removeTemporaries(dir: string): void {
  const prefix = `${basename(dir)}.tmp-`;
  let names: string[];
  try {
    names = readdirSync(dirname(dir));
  } catch {
    return;
  }
  for (const name of names) {
    if (name.startsWith(prefix)) rmSync(join(dirname(dir), name), { recursive: true, force: true });
  }
}

/**
 * Writes a snapshot of `index` to `dir` (replacing one there), reflecting `key`; abandoned (nothing
 * left behind, SnapshotDeadline thrown) if it is not done by `deadline` (epoch milliseconds). The
 * index must not change meanwhile (the caller holds the write lock). Resolves with the bytes written.
 *
 * The main thread serializes and writes the sections it holds in one synchronous run (nothing else
 * reads them half-written); meanwhile the kernel copies the vector file (copy_file_range, not through
 * this process: ~1.5 GB at a million records) and a worker thread takes each file's CRC-32 once it
 * is written. A deadline passed while the copy runs waits for the copy to stop before the temporary
 * directory is removed (a copy in the kernel cannot be interrupted).
 */
export async function writeSnapshot(
  index: MemoryIndex,
  dir: string,
  key: SnapshotKey,
  deadline = Number.POSITIVE_INFINITY,
): Promise<number> {
  const tmp = `${dir}.tmp-${process.pid}`;
  removeTemporaries(dir);
  // Tenants' ids, texts' words and vectors: readable by this user alone, as the vector file is.
  mkdirSync(tmp, { recursive: true, mode: 0o700 });
  const checker = new Checksummer();
  let copying: Promise<void> = Promise.resolve();
  try {
    const { parts, arena, dimension } = index.snapshotParts();
    const write = (name: Section, fill: (writer: SectionWriter) => void): Promise<SectionSum> => {
      const writer = new SectionWriter(join(tmp, name), deadline);
      try {
        fill(writer);
        writer.close();
      } catch (error) {
        writer.abandon();
        throw error;
      }
      return checker.sum(join(tmp, name));
    };
    const vectors = copyVectors(arena, join(tmp, 'vectors.f32'), checker, write);
    copying = vectors.copied;
    const graph = packGraph({ ...parts, ...arena.snapshotFields() });
    let arrays: ArraySpec[] = [];
    let lists: ListSpec[] = [];
    const written = [
      write('graph.bin', (w) => w.write(graph.bytes)),
      write('arrays.bin', (w) => (arrays = writeArrays(w, graph.arrays))),
      write('lists.bin', (w) => (lists = graph.lists.map((list) => writeList(w, list)))),
      write('memory.bin', (w) => w.write(arena.snapshotMemory())),
      vectors.sum,
    ];
    const [sums] = await byDeadline(Promise.all([Promise.all(written), copying]), deadline);
    const sections = Object.fromEntries(SECTIONS.map((name, i) => [name, sums[i]])) as Record<
      Section,
      SectionSum
    >;
    const copied = statSync(join(tmp, 'vectors.f32')).size;
    if (copied !== sections['vectors.f32'].bytes) {
      throw new Error(`vectors.f32: ${copied} bytes copied, not ${sections['vectors.f32'].bytes}`);
    }
    const manifest: Manifest = {
      format: FORMAT,
      code: code(),
      ...key,
      records: index.size,
      dimension,
      shapes: graph.shapes,
      arrays,
      lists,
      sections,
    };
    writeFileSync(join(tmp, 'manifest.json'), JSON.stringify(manifest), { mode: 0o600 });
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
    return Object.values(sections).reduce((sum, s) => sum + s.bytes, 0);
  } catch (error) {
    await copying.catch(() => undefined);
    rmSync(tmp, { recursive: true, force: true });
    throw error;
  } finally {
    await checker.close();
  }
}

/**
 * Starts copying the arena's vector file to `dest`: in the kernel from a path that opens it, its
 * checksum taken from the live file meanwhile (the index does not change while a snapshot is
 * written); else through this thread, a chunk at a time (`write`, which checksums what it wrote).
 */
function copyVectors(
  arena: VectorArena,
  dest: string,
  checker: Checksummer,
  write: (name: Section, fill: (writer: SectionWriter) => void) => Promise<SectionSum>,
): { copied: Promise<void>; sum: Promise<SectionSum> } {
  const source = arena.vectorFilePath();
  if (source === null) {
    const sum = write('vectors.f32', (w) => arena.readVectorFile(CHUNK, (chunk) => w.write(chunk)));
    return { copied: Promise.resolve(), sum };
  }
  const sum = checker.sum(source);
  // FICLONE: a reflink where the filesystem has them (btrfs, XFS), else copy_file_range.
  const copied = copyFile(source, dest, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
  copied.catch(() => undefined);
  return { copied, sum };
}

function readManifest(dir: string): Manifest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  } catch (error) {
    throw new SnapshotRefused(`unreadable manifest (${(error as Error).message})`);
  }
  const m = parsed as Partial<Manifest> | null;
  if (
    m === null ||
    typeof m !== 'object' ||
    typeof m.sections !== 'object' ||
    typeof m.shapes !== 'object' ||
    !Array.isArray(m.arrays) ||
    !Array.isArray(m.lists)
  ) {
    throw new SnapshotRefused('malformed manifest');
  }
  return m as Manifest;
}

/** Throws SnapshotRefused unless the manifest matches what the index must reflect and this code. */
function check(m: Manifest, key: SnapshotKey, dimension: number): void {
  if (m.format !== FORMAT) throw new SnapshotRefused(`format ${m.format}, not ${FORMAT}`);
  if (m.code !== code()) throw new SnapshotRefused('written by other code');
  if (m.key !== key.key) throw new SnapshotRefused(`embedder ${m.key}, not ${key.key}`);
  if (m.dimension !== dimension) throw new SnapshotRefused(`dimension ${m.dimension}, not ${dimension}`);
  if (m.version !== key.version) throw new SnapshotRefused(`version ${m.version}, not ${key.version}`);
}

/**
 * Throws SnapshotRefused unless every section is there with its length (the manifest's), and the
 * linear memory fits the budget.
 */
function checkSizes(dir: string, m: Manifest, budgetBytes: number): void {
  for (const name of SECTIONS) {
    const want = m.sections[name];
    if (want === undefined) throw new SnapshotRefused(`no section ${name}`);
    let size: number;
    try {
      size = statSync(join(dir, name)).size;
    } catch (error) {
      throw new SnapshotRefused(`${name}: ${(error as Error).message}`);
    }
    if (size !== want.bytes) throw new SnapshotRefused(`${name}: ${size} bytes, not ${want.bytes}`);
  }
  const memory = m.sections['memory.bin'].bytes;
  if (memory > budgetBytes) {
    throw new SnapshotRefused(`${memory} bytes of vectors, over the budget of ${budgetBytes}`);
  }
}

/** Runs `read` over a section's reader (closed afterwards); throws SnapshotRefused unless it read all of it. */
async function readSection<T>(
  reader: SectionReader,
  m: Manifest,
  name: Section,
  read: (reader: SectionReader) => Promise<T>,
): Promise<T> {
  try {
    const value = await read(reader);
    const want = m.sections[name];
    if (reader.read !== want.bytes) {
      throw new SnapshotRefused(`${name}: ${reader.read} bytes read, not ${want.bytes}`);
    }
    return value;
  } finally {
    await reader.close();
  }
}

/** Throws SnapshotRefused unless every section's length and CRC-32 (`sums`, in order) are the manifest's. */
function verify(m: Manifest, sums: readonly SectionSum[]): void {
  SECTIONS.forEach((name, i) => {
    const sum = sums[i];
    const want = m.sections[name];
    if (sum?.bytes !== want.bytes)
      throw new SnapshotRefused(`${name}: ${sum?.bytes} bytes, not ${want.bytes}`);
    if (sum.crc !== want.crc) throw new SnapshotRefused(`${name}: checksum differs`);
  });
}

const opened = (dir: string, name: Section) => SectionReader.open(join(dir, name));

/** The prototypes and field names of the index's classes in this code, from a fresh empty index. */
async function sampleClasses(
  dimension: number,
  options: ArenaOptions,
): Promise<ReturnType<typeof classesOf>> {
  const sample = await MemoryIndex.create(dimension, 64 * 2 ** 20, { ...options, threads: 0 });
  try {
    const { parts, arena } = sample.snapshotParts();
    return classesOf({ ...parts, ...arena.snapshotFields() });
  } finally {
    await sample.close();
  }
}

/**
 * Restores the index a snapshot in `dir` holds if it reflects exactly `key` (and was written by this
 * code, whole); the directory is gone afterwards, whether it was restored or refused. Throws
 * SnapshotRefused (or the error reading it) when it was not.
 */
export async function restoreSnapshot(
  dir: string,
  key: SnapshotKey,
  dimension: number,
  budgetBytes: number,
  options: ArenaOptions,
): Promise<MemoryIndex> {
  if (!existsSync(join(dir, 'manifest.json'))) {
    rmSync(dir, { recursive: true, force: true });
    throw new SnapshotRefused('no manifest');
  }
  // Taken before it is read: a process killed while restoring (out of memory, say) leaves a
  // temporary directory the next open removes, not a snapshot every later start would try again.
  const taken = `${dir}.tmp-restoring-${process.pid}`;
  renameSync(dir, taken);
  dir = taken;
  try {
    const m = readManifest(dir);
    check(m, key, dimension);
    checkSizes(dir, m, budgetBytes);
    const sample = await sampleClasses(dimension, options);
    if (JSON.stringify(sortKeys(sample.shapes)) !== JSON.stringify(sortKeys(m.shapes))) {
      throw new SnapshotRefused('its classes differ from this code');
    }
    // Every section is checked by a worker thread while this one reads them into place (the vector
    // file, which becomes the index's own, only checked: opened before the arena adopts it).
    const checking = checksums(SECTIONS.map((name) => join(dir, name))).then((sums) => verify(m, sums));
    // Awaited below; until then a refusal must not be an unhandled rejection.
    checking.catch(() => undefined);
    try {
      const graph = await readSection(await opened(dir, 'graph.bin'), m, 'graph.bin', async (r) => {
        const bytes = new Uint8Array(m.sections['graph.bin'].bytes);
        await r.readInto(bytes);
        return bytes;
      });
      const arrays = await readSection(await opened(dir, 'arrays.bin'), m, 'arrays.bin', (r) =>
        readArrays(r, m.arrays),
      );
      const lists = await readSection(await opened(dir, 'lists.bin'), m, 'lists.bin', async (r) => {
        const read: List[] = [];
        for (const spec of m.lists) read.push(await readList(r, spec));
        return read;
      });
      const arena = await VectorArena.restore(dimension, budgetBytes, options, {
        bytes: m.sections['memory.bin'].bytes,
        fill: async (into) =>
          readSection(await opened(dir, 'memory.bin'), m, 'memory.bin', (r) => r.readSparseInto(into)),
        vectorPath: join(dir, 'vectors.f32'),
      });
      return await assembled(arena, m, budgetBytes, sample, { graph, arrays, lists }, checking);
    } catch (error) {
      // A section that fails its check is the reason given (a corrupt piece may fail to read first).
      await checking;
      throw error;
    }
  } finally {
    // Off the event loop: unlinking ~1 GB of sections took ~0.2–0.9 s at 1M.
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The index made of a restored arena and the revived graph, once every section's check passed (the
 * vector file's is `checking`); the arena is closed when it is refused.
 */
async function assembled(
  arena: VectorArena,
  m: Manifest,
  budgetBytes: number,
  sample: Awaited<ReturnType<typeof sampleClasses>>,
  read: { graph: Uint8Array; arrays: Awaited<ReturnType<typeof readArrays>>; lists: List[] },
  checking: Promise<void>,
): Promise<MemoryIndex> {
  try {
    await checking;
    const revived = await reviveGraphInTurns(read.graph, sample.protos, read.arrays, read.lists, nextTurn);
    const root = revived as unknown as IndexParts & ArenaFields;
    // The placement tree, a few thousand nodes per turn (placement-tree.ts).
    await root.placement.restored(nextTurn).catch((error: unknown) => {
      throw new SnapshotRefused(`the placement tree: ${(error as Error).message}`);
    });
    arena.restoreFields(root);
    checkShapes(revived, sample.shapes);
    const index = MemoryIndex.assemble(arena, budgetBytes, root);
    if (index.size !== m.records || index.bytes > budgetBytes) {
      throw new SnapshotRefused(
        index.size !== m.records
          ? `${index.size} records, not ${m.records}`
          : `${index.bytes} bytes, over the budget of ${budgetBytes}`,
      );
    }
    return index;
  } catch (error) {
    await arena.close();
    throw error;
  }
}

function sortKeys(shapes: Shapes): Array<[string, string]> {
  return Object.entries(shapes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
