import { strToU8, zipSync, type Zippable } from 'fflate';
import { looksLikeZip, readZip } from './zip.js';
import { overlappingZip } from '../../test/helpers/hostile-files.js';

const limits = { maxEntries: 10, maxEntryBytes: 1000, maxTotalBytes: 1500 };
const decode = (data: Uint8Array) => new TextDecoder().decode(data);

test('reads regular files with their relative paths; folders are implied', async () => {
  const zip = zipSync({ 'docs/': {}, 'docs/a.md': strToU8('# A'), 'b.txt': [strToU8('bee'), { level: 0 }] });
  expect(looksLikeZip(zip)).toBe(true);
  const entries = await readZip(zip, limits);
  expect(entries.map((e) => [e.path, decode(e.data)])).toEqual([
    ['docs/a.md', '# A'],
    ['b.txt', 'bee'],
  ]);
});

test.each<[string, Zippable, string]>([
  ['zip-slip', { '../evil.txt': strToU8('x') }, "leaves the archive ('..')"],
  ['nested zip-slip', { 'a/../../evil.txt': strToU8('x') }, "leaves the archive ('..')"],
  ['absolute path', { '/etc/cron.d/x': strToU8('x') }, 'absolute entry path'],
  ['drive letter', { 'C:/x.txt': strToU8('x') }, 'absolute entry path'],
  ['backslash', { 'a\\..\\x.txt': strToU8('x') }, 'backslash'],
  ['control character', { 'a\u0001.txt': strToU8('x') }, 'control character'],
  ['symlink', { link: [strToU8('/etc/passwd'), { os: 3, attrs: 0o120777 << 16 }] }, 'symbolic links'],
])('%s is refused before anything is extracted', async (_name, files, message) => {
  await expect(readZip(zipSync(files), limits)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  await expect(readZip(zipSync(files), limits)).rejects.toThrow(message);
});

test('limits: too many entries is 400, an oversized entry or total is 413', async () => {
  const many = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`f${i}.txt`, strToU8('x')]));
  await expect(readZip(zipSync(many), limits)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  const big = { 'big.txt': new Uint8Array(1001) };
  await expect(readZip(zipSync(big), limits)).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
  const total = { 'a.txt': new Uint8Array(800), 'b.txt': new Uint8Array(800) };
  await expect(readZip(zipSync(total), limits)).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
});

test('corrupt, truncated and non-zip bytes are 400', async () => {
  const zip = zipSync({ 'a.txt': [strToU8('hello hello hello'), { level: 0 }] });
  const flipped = Uint8Array.from(zip);
  flipped[35] = (flipped[35] as number) ^ 0xff; // inside the stored data
  await expect(readZip(flipped, limits)).rejects.toThrow('checksum mismatch');
  await expect(readZip(zip.subarray(0, zip.length - 30), limits)).rejects.toMatchObject({
    code: 'INVALID_ARGUMENT',
  });
  await expect(readZip(strToU8('not a zip at all, just text'), limits)).rejects.toThrow('not a zip archive');
  expect(looksLikeZip(strToU8('hello'))).toBe(false);
});

test('a duplicate entry name is refused', async () => {
  const one = zipSync({ 'a.txt': strToU8('1') });
  // Two archives' worth of entries under one name: rebuild by renaming b.txt to a.txt in the bytes.
  const two = zipSync({ 'a.txt': strToU8('1'), 'b.txt': strToU8('2') });
  const text = Buffer.from(two).toString('latin1').replaceAll('b.txt', 'a.txt');
  expect(await readZip(one, limits)).toHaveLength(1);
  await expect(readZip(Buffer.from(text, 'latin1'), limits)).rejects.toThrow('duplicate entry');
});

describe('bounded inflation (issue 23: overlapping entries)', () => {
  const MIB = 1024 * 1024;
  // Limits under which the old reader inflated every copy: only the overlap check can refuse.
  const roomy = { maxEntries: 100, maxEntryBytes: 10 * MIB, maxTotalBytes: 300 * MIB, maxRatio: 1e9 };

  test('25 entries pointing at one 10 MiB deflated stream are refused before inflating anything', async () => {
    const bomb = overlappingZip(25, 10 * MIB);
    expect(bomb.length).toBeLessThan(16 * 1024);
    const inflated: number[] = [];
    await expect(readZip(bomb, roomy, (n) => inflated.push(n))).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'invalid zip archive: entries overlap',
      details: { entry: 'f001.txt' },
    });
    expect(inflated).toEqual([0]);
  });

  test('an entry expanding more than the ratio limit is a 413 naming it, before inflating', async () => {
    const inflated: number[] = [];
    const defaults = { maxEntries: 100, maxEntryBytes: 10 * MIB, maxTotalBytes: 300 * MIB };
    const zip = zipSync({ 'zeros.txt': new Uint8Array(MIB) });
    await expect(readZip(zip, defaults, (n) => inflated.push(n))).rejects.toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      details: { entry: 'zeros.txt', limit: 200 },
    });
    expect(inflated).toEqual([0]);
    // Small entries may expand any number of times.
    expect(await readZip(zipSync({ 'blank.txt': new Uint8Array(60_000) }), defaults)).toHaveLength(1);
  });

  test('an entry whose data lies past the central directory is refused', async () => {
    const zip = Uint8Array.from(zipSync({ 'a.txt': [strToU8('hello'), { level: 0 }] }));
    const view = new DataView(zip.buffer);
    const central = view.getUint32(zip.length - 22 + 16, true);
    view.setUint32(central + 20, 5000, true); // compressed size
    view.setUint32(central + 24, 5000, true); // size
    await expect(readZip(zip, { ...roomy })).rejects.toThrow('entry data lies outside the archive');
  });

  test('an entry that inflates past its declared size is stopped there, in the worker', async () => {
    const data = new Uint8Array(200_000).fill(65);
    const zip = Uint8Array.from(zipSync({ 'a.txt': data }));
    const view = new DataView(zip.buffer);
    const central = view.getUint32(zip.length - 22 + 16, true);
    view.setUint32(central + 24, 100_000, true); // claims half its real size
    const inflated: number[] = [];
    await expect(readZip(zip, roomy, (n) => inflated.push(n))).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: { entry: 'a.txt' },
    });
    expect(inflated[0]).toBeLessThanOrEqual(100_000);
  });

  test('a normal archive reports the bytes it inflated', async () => {
    const inflated: number[] = [];
    const entries = await readZip(zipSync({ 'a.md': strToU8('# A'), 'b.md': strToU8('bee') }), limits, (n) =>
      inflated.push(n),
    );
    expect(entries.map((e) => decode(e.data))).toEqual(['# A', 'bee']);
    expect(inflated).toEqual([6]);
  });
});
