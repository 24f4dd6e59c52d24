/**
 * A snapshot of an in-memory index on disk, so that a restarted server answers from memory without
 * rebuilding it: a directory holding the JS structures (snapshot-graph.ts), the arena's linear memory
 * (int8 copies) and a copy of its vector file (float32 rows), with a manifest naming what it reflects
 * (`key`: embedder and dimension; `version`: the table version or PostgreSQL seq), the code that
 * wrote it, and each section's length and CRC-32. It is written to a temporary directory and renamed,
 * so a snapshot directory is whole or absent; a restore checks all of it before using any of it and
 * consumes it (the vector file becomes the index's own, unlinked), so a snapshot is used at most once.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { setImmediate } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';
import { VectorArena, type ArenaFields, type ArenaOptions } from './arena.js';
import { MemoryIndex, type IndexParts } from './index.js';
import { classesOf, checkShapes, packGraph, reviveGraph, type Shapes } from './snapshot-graph.js';

/** Bumped when what a snapshot holds changes in a way the code hash would not show. */
const FORMAT = 1;
type Section = 'graph.bin' | 'memory.bin' | 'vectors.f32';
/** Bytes read at a time to check the vector file's checksum. */
const READ_CHUNK = 8 * 2 ** 20;

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
  readonly sections: Record<Section, { readonly bytes: number; readonly crc: number }>;
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

/** CRC-32 of a file, read in chunks. */
function fileCrc(path: string): number {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(READ_CHUNK);
    let crc = 0;
    for (
      let n = readSync(fd, buffer, 0, READ_CHUNK, null);
      n > 0;
      n = readSync(fd, buffer, 0, READ_CHUNK, null)
    ) {
      crc = crc32(buffer.subarray(0, n), crc);
    }
    return crc;
  } finally {
    closeSync(fd);
  }
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
 * Writes a snapshot of `index` to `dir` (replacing one there), reflecting `key`. The index must not
 * change meanwhile (the caller holds the write lock). Returns the bytes written.
 */
export function writeSnapshot(index: MemoryIndex, dir: string, key: SnapshotKey): number {
  const tmp = `${dir}.tmp-${process.pid}`;
  removeTemporaries(dir);
  // Tenants' ids, texts' words and vectors: readable by this user alone, as the vector file is.
  mkdirSync(tmp, { recursive: true, mode: 0o700 });
  try {
    const { parts, arena, dimension } = index.snapshotParts();
    const fields = arena.snapshotFields();
    const graph = packGraph({ ...parts, ...fields });
    const memory = arena.snapshotMemory();
    writeFileSync(join(tmp, 'graph.bin'), graph.bytes, { mode: 0o600 });
    writeFileSync(join(tmp, 'memory.bin'), memory, { mode: 0o600 });
    arena.copyVectorFile(join(tmp, 'vectors.f32'));
    const sections = {
      'graph.bin': { bytes: graph.bytes.byteLength, crc: crc32(graph.bytes) },
      'memory.bin': { bytes: memory.byteLength, crc: crc32(memory) },
      'vectors.f32': {
        bytes: statSync(join(tmp, 'vectors.f32')).size,
        crc: fileCrc(join(tmp, 'vectors.f32')),
      },
    };
    const manifest: Manifest = {
      format: FORMAT,
      code: code(),
      ...key,
      records: index.size,
      dimension,
      shapes: graph.shapes,
      sections,
    };
    writeFileSync(join(tmp, 'manifest.json'), JSON.stringify(manifest), { mode: 0o600 });
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
    return Object.values(sections).reduce((sum, s) => sum + s.bytes, 0);
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true });
    throw error;
  }
}

function readManifest(dir: string): Manifest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  } catch (error) {
    throw new SnapshotRefused(`unreadable manifest (${(error as Error).message})`);
  }
  const m = parsed as Partial<Manifest> | null;
  if (m === null || typeof m !== 'object' || typeof m.sections !== 'object' || typeof m.shapes !== 'object') {
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
 * Reads a section, checking its length and checksum. The read runs off the event loop and the
 * checksum a chunk per turn, so a restore of a large index leaves requests answered meanwhile.
 */
async function section(dir: string, m: Manifest, name: Section): Promise<Buffer> {
  const bytes = await readFile(join(dir, name));
  await verify(m, name, bytes.byteLength, async () => {
    let crc = 0;
    for (let at = 0; at < bytes.byteLength; at += READ_CHUNK) {
      crc = crc32(bytes.subarray(at, at + READ_CHUNK), crc);
      await setImmediate();
    }
    return crc;
  });
  return bytes;
}

/** CRC-32 of a file read a chunk at a time, asynchronously (the vector file is not read into memory). */
async function fileCrcInTurns(path: string): Promise<number> {
  const file = await open(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(READ_CHUNK);
    let crc = 0;
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, READ_CHUNK, null);
      if (bytesRead === 0) return crc;
      crc = crc32(buffer.subarray(0, bytesRead), crc);
    }
  } finally {
    await file.close();
  }
}

async function verify(m: Manifest, name: Section, length: number, crc: () => Promise<number>): Promise<void> {
  const want = m.sections[name];
  if (want === undefined) throw new SnapshotRefused(`no section ${name}`);
  if (length !== want.bytes) throw new SnapshotRefused(`${name}: ${length} bytes, not ${want.bytes}`);
  if ((await crc()) !== want.crc) throw new SnapshotRefused(`${name}: checksum differs`);
}

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
    const graph = await section(dir, m, 'graph.bin');
    const memory = await section(dir, m, 'memory.bin');
    const vectorPath = join(dir, 'vectors.f32');
    await verify(m, 'vectors.f32', statSync(vectorPath).size, () => fileCrcInTurns(vectorPath));
    const sample = await sampleClasses(dimension, options);
    if (JSON.stringify(sortKeys(sample.shapes)) !== JSON.stringify(sortKeys(m.shapes))) {
      throw new SnapshotRefused('its classes differ from this code');
    }
    const revived = reviveGraph(graph, sample.protos);
    const root = revived as unknown as IndexParts & ArenaFields;
    root.placement.restored();
    const arena = await VectorArena.restore(dimension, budgetBytes, options, {
      memory,
      fields: root,
      vectorPath,
    });
    checkShapes(revived, sample.shapes);
    const index = MemoryIndex.assemble(arena, budgetBytes, root);
    if (index.size !== m.records || index.bytes > budgetBytes) {
      await index.close();
      throw new SnapshotRefused(
        index.size !== m.records
          ? `${index.size} records, not ${m.records}`
          : `${index.bytes} bytes, over the budget of ${budgetBytes}`,
      );
    }
    return index;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function sortKeys(shapes: Shapes): Array<[string, string]> {
  return Object.entries(shapes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
