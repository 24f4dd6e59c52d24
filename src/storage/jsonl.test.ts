import { open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { appendLines, cutTornTail, parseJsonl, readJsonl } from './jsonl.js';
import { tempDir } from '../../test/helpers/temp-dir.js';

const record = z.object({ n: z.number() });

let dir: ReturnType<typeof tempDir>;
beforeEach(() => (dir = tempDir('vs-jsonl-')));
afterEach(() => dir.remove());

/** Appends through a handle opened the way the journal and the session logs open theirs. */
async function append(path: string, lines: string[]): Promise<number> {
  const handle = await open(path, 'a+');
  try {
    return await appendLines(handle, lines);
  } finally {
    await handle.close();
  }
}

describe('parseJsonl', () => {
  test.each([
    ['an empty text', '', []],
    ['blank lines', '\n  \n{"n":1}\n\n', [{ n: 1 }]],
    ['a torn last line', '{"n":1}\n{"n":2}\n{"n":', [{ n: 1 }, { n: 2 }]],
    ['a line that is JSON but not a record', '{"n":1}\n{"m":2}\n[3]\n', [{ n: 1 }]],
    ['CRLF line ends', '{"n":1}\r\n{"n":2}\r\n', [{ n: 1 }, { n: 2 }]],
  ])('%s', (_, text, expected) => {
    expect(parseJsonl(text, record)).toEqual(expected);
  });

  test('skipped lines are reported', () => {
    const skipped: string[] = [];
    parseJsonl('{"n":1}\nnope\n{"n":', record, (line) => skipped.push(line));
    expect(skipped).toEqual(['nope', '{"n":']);
  });
});

describe('appendLines', () => {
  test('writes complete lines and returns the new size', async () => {
    const path = join(dir.path, 'log.jsonl');
    expect(await append(path, ['{"n":1}', '{"n":2}'])).toBe(16);
    expect(await append(path, ['{"n":3}'])).toBe(24);
    expect(await readFile(path, 'utf8')).toBe('{"n":1}\n{"n":2}\n{"n":3}\n');
  });

  test('after a crash mid-write, the next append starts on a fresh line instead of gluing onto it', async () => {
    const path = join(dir.path, 'log.jsonl');
    await writeFile(path, '{"n":1}\n{"n":2');
    await append(path, ['{"n":3}']);
    expect(await readJsonl(path, record)).toEqual([{ n: 1 }, { n: 3 }]);
  });

  test('a failed write is cut off again', async () => {
    const path = join(dir.path, 'log.jsonl');
    await writeFile(path, '{"n":1}\n');
    const handle = await open(path, 'a+');
    const write = handle.write.bind(handle);
    // A full disk: half the bytes reach the file, then the write fails.
    Object.assign(handle, {
      write: async (data: Buffer) => {
        await write(data.subarray(0, data.length >> 1));
        throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      },
    });
    await expect(appendLines(handle, ['{"n":2}'])).rejects.toThrow('ENOSPC');
    await handle.close();
    expect(await readFile(path, 'utf8')).toBe('{"n":1}\n');
  });
});

describe('cutTornTail', () => {
  test.each([
    ['an empty file', '', ''],
    ['complete lines', '{"n":1}\n', '{"n":1}\n'],
    ['a torn last line', '{"n":1}\n{"n":', '{"n":1}\n'],
    ['only a torn line', '{"n":', ''],
    ['a torn line longer than one read', `{"n":1}\n${'x'.repeat(200_000)}`, '{"n":1}\n'],
  ])('%s', async (_, text, kept) => {
    const path = join(dir.path, 'log.jsonl');
    await writeFile(path, text);
    const handle = await open(path, 'a+');
    expect(await cutTornTail(handle)).toBe(Buffer.byteLength(kept));
    await handle.close();
    expect(await readFile(path, 'utf8')).toBe(kept);
  });
});

test('readJsonl reads nothing from a missing file', async () => {
  expect(await readJsonl(join(dir.path, 'none.jsonl'), record)).toEqual([]);
});
