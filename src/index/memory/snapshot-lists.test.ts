import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SectionReader, SectionWriter } from './snapshot-io.js';
import { isLargeList, readList, writeList, type List } from './snapshot-lists.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'snapshot-lists-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test('large maps and arrays of primitives are written in pieces and read back equal, in order', async () => {
  const map = new Map<string, number | null>();
  for (let i = 0; i < 70_000; i++) map.set(`viking://resources/d${i % 97}/f${i}.md`, i % 5 === 0 ? null : i);
  const array = Array.from({ length: 40_000 }, (_, i) => (i % 3 === 0 ? undefined : `s${i}`));
  const lists: List[] = [map, array];
  expect(lists.every(isLargeList)).toBe(true);
  const path = join(dir, 'lists.bin');
  const writer = new SectionWriter(path, Number.POSITIVE_INFINITY);
  const specs = lists.map((list) => writeList(writer, list));
  writer.close();
  // More than one piece each: each is deserialized in a turn of its own.
  expect(specs.map((s) => [s.kind, s.pieces.length])).toEqual([
    ['map', 3],
    ['array', 2],
  ]);
  const reader = await SectionReader.open(path);
  const read = [await readList(reader, specs[0]!), await readList(reader, specs[1]!)];
  await reader.close();
  expect(read[0]).toBeInstanceOf(Map);
  expect([...(read[0] as Map<string, number | null>)]).toEqual([...map]);
  expect(read[1]).toEqual(array);
});

test('lists holding objects, or small ones, stay in the serialization', () => {
  expect(isLargeList(Array.from({ length: 5000 }, (_, i) => ({ i })))).toBe(false);
  expect(isLargeList(new Map(Array.from({ length: 5000 }, (_, i) => [i, [i]])))).toBe(false);
  expect(isLargeList(Array.from({ length: 100 }, (_, i) => i))).toBe(false);
  expect(isLargeList(Array.from({ length: 5000 }, (_, i) => i))).toBe(true);
});

test('a list whose pieces hold other than its length is refused', async () => {
  const array = Array.from({ length: 5000 }, (_, i) => `s${i}`);
  const path = join(dir, 'lists.bin');
  const writer = new SectionWriter(path, Number.POSITIVE_INFINITY);
  const spec = writeList(writer, array);
  writer.close();
  expect(spec).toMatchObject({ kind: 'array', length: 5000 });
  for (const [length, message] of [
    [4999, /past its length/],
    [5001, /5000 entries, not 5001/],
    [-1, /a list of -1 entries/],
    [2 ** 40, /a list of/],
  ] as const) {
    const reader = await SectionReader.open(path);
    await expect(readList(reader, { ...spec, length })).rejects.toThrow(message);
    await reader.close();
  }
});
