/**
 * The contract of a FileStorage (src/fs/storage.ts), run against every implementation: the local
 * files of the embedded mode and PostgreSQL. Each implementation's test file calls
 * {@link fileStorageSuite} with a factory of fresh, empty storages.
 */
import type { FileStorage } from '../../src/fs/storage.js';

export interface FileStorageFixture {
  readonly storage: FileStorage;
  /** Another storage on the same stored tree (another process where the backend allows it). */
  other(): Promise<FileStorage>;
  close(): Promise<void>;
}

const A = 'acme';
const B = 'beta';
const MAX = 1024;
const bytes = (text: string) => Buffer.from(text, 'utf8');
const replace = { mode: 'replace', maxBytes: MAX } as const;
const create = { mode: 'create', maxBytes: MAX } as const;
const append = { mode: 'append', maxBytes: MAX } as const;

/** The text of a file, or null. */
const textOf = async (s: FileStorage, account: string, uri: string) =>
  (await s.read(account, uri))?.toString('utf8') ?? null;

const namesOf = async (s: FileStorage, account: string, uri: string) =>
  (await s.list(account, uri)).map((c) => `${c.name}${c.kind === 'folder' ? '/' : ''}`).sort();

/** Names that a LIKE pattern, a quote or a byte-unaware comparison would get wrong. */
const HOSTILE = ['100%', 'a_b', "it's", 'say "hi"', 'back\\slash', 'naïve', '日本語', '🦊 fox', 'x;DROP'];

export function fileStorageSuite(name: string, make: () => Promise<FileStorageFixture>): void {
  describe(`FileStorage: ${name}`, () => {
    let fx: FileStorageFixture;
    let s: FileStorage;
    beforeEach(async () => {
      fx = await make();
      s = fx.storage;
      await s.createRoot(A);
      await s.createRoot(B);
      await s.mkdir(A, 'viking://resources');
    });
    afterEach(async () => {
      await fx.close();
    });

    test('accounts: those with a root, sorted; a removed root is no longer one', async () => {
      expect(await s.accounts()).toEqual([A, B]);
      await s.createRoot('Zeta-9');
      await s.createRoot('aa_b');
      await s.write('aa_b', 'viking://resources/x.md', bytes('x'), replace);
      expect(await s.accounts()).toEqual(['Zeta-9', 'aa_b', A, B]);
      await s.remove('aa_b', 'viking://');
      expect(await (await fx.other()).accounts()).toEqual(['Zeta-9', A, B]);
    });

    test('write, read and stat a file; the folders on the way are created', async () => {
      expect(await s.write(A, 'viking://resources/docs/a/x.md', bytes('hello'), replace)).toBe(5);
      expect(await textOf(s, A, 'viking://resources/docs/a/x.md')).toBe('hello');
      expect(await s.stat(A, 'viking://resources/docs/a/x.md')).toEqual({
        kind: 'file',
        size: 5,
        mtime: expect.any(Date),
      });
      expect(await s.stat(A, 'viking://resources/docs/a')).toMatchObject({ kind: 'folder', size: 0 });
      expect(await s.stat(A, 'viking://')).toMatchObject({ kind: 'folder' });
      expect(await s.stat(A, 'viking://resources/nothing')).toBeNull();
      expect(await s.read(A, 'viking://resources/docs/a')).toBeNull();
      expect(await s.read(A, 'viking://resources/nothing')).toBeNull();
    });

    test('replace replaces, append appends, and neither passes maxBytes', async () => {
      const uri = 'viking://resources/log.md';
      await s.write(A, uri, bytes('one'), replace);
      expect(await s.write(A, uri, bytes('two'), replace)).toBe(3);
      expect(await s.write(A, uri, bytes('+three'), append)).toBe(9);
      expect(await textOf(s, A, uri)).toBe('two+three');
      await expect(s.write(A, uri, Buffer.alloc(MAX - 5), append)).rejects.toMatchObject({
        code: 'PAYLOAD_TOO_LARGE',
      });
      await expect(s.write(A, uri, Buffer.alloc(MAX + 1), replace)).rejects.toMatchObject({
        code: 'PAYLOAD_TOO_LARGE',
      });
      expect(await textOf(s, A, uri)).toBe('two+three');
      expect(await s.write(A, 'viking://resources/new.md', bytes('n'), append)).toBe(1);
    });

    test('create never overwrites an existing file', async () => {
      const uri = 'viking://resources/once.md';
      expect(await s.write(A, uri, bytes('first'), create)).toBe(5);
      await expect(s.write(A, uri, bytes('second'), create)).rejects.toMatchObject({
        code: 'ALREADY_EXISTS',
      });
      expect(await textOf(s, A, uri)).toBe('first');
    });

    test('create from two storages at once: exactly one wins, the other is ALREADY_EXISTS', async () => {
      const other = await fx.other();
      for (let i = 0; i < 12; i++) {
        const uri = `viking://resources/race/f${i}.md`;
        const results = await Promise.allSettled([
          s.write(A, uri, bytes('from one'), create),
          other.write(A, uri, bytes('from two'), create),
        ]);
        const won = results.filter((r) => r.status === 'fulfilled');
        expect(won).toHaveLength(1);
        const lost = results.find((r) => r.status === 'rejected');
        expect(lost?.reason).toMatchObject({ code: 'ALREADY_EXISTS' });
        const winner = results[0].status === 'fulfilled' ? 'from one' : 'from two';
        expect(await textOf(s, A, uri)).toBe(winner);
      }
    });

    test('a file never stands where a folder is, nor a folder below a file', async () => {
      await s.write(A, 'viking://resources/f.md', bytes('f'), replace);
      await s.mkdir(A, 'viking://resources/dir');
      const refused = [
        s.write(A, 'viking://resources/dir', bytes('x'), replace),
        s.write(A, 'viking://resources/dir', bytes('x'), create),
        s.write(A, 'viking://resources/f.md/x.md', bytes('x'), replace),
        s.mkdir(A, 'viking://resources/f.md'),
        s.mkdir(A, 'viking://resources/f.md/sub'),
      ];
      for (const result of await Promise.allSettled(refused)) {
        expect(result).toMatchObject({ status: 'rejected', reason: { code: 'CONFLICT' } });
      }
      expect(await s.blocked(A, 'viking://resources/f.md/x.md')).toBe(true);
      expect(await s.blocked(A, 'viking://resources/dir/x.md')).toBe(false);
      expect(await s.stat(A, 'viking://resources/f.md/x.md')).toBeNull();
      expect(await namesOf(s, A, 'viking://resources')).toEqual(['dir/', 'f.md']);
    });

    test('mkdir creates the folders on the way and is idempotent', async () => {
      await s.mkdir(A, 'viking://user/u/memories/events');
      await s.mkdir(A, 'viking://user/u/memories/events');
      await s.mkdir(A, 'viking://');
      expect(await namesOf(s, A, 'viking://user/u/memories')).toEqual(['events/']);
      expect(await namesOf(s, A, 'viking://')).toEqual(['resources/', 'user/']);
    });

    test('list gives the direct children with their kinds; nothing for a file or a missing folder', async () => {
      await s.write(A, 'viking://resources/b.md', bytes('b'), replace);
      await s.write(A, 'viking://resources/a/deep/x.md', bytes('x'), replace);
      expect(await namesOf(s, A, 'viking://resources')).toEqual(['a/', 'b.md']);
      expect(await s.list(A, 'viking://resources/b.md')).toEqual([]);
      expect(await s.list(A, 'viking://resources/none')).toEqual([]);
    });

    test('move takes a folder with everything below it, and nothing that only shares its prefix', async () => {
      await s.write(A, 'viking://resources/a/x.md', bytes('x'), replace);
      await s.write(A, 'viking://resources/a/b/y.md', bytes('y'), replace);
      for (const sibling of ['a-b', 'a0', 'ab', 'a%', 'a_'])
        await s.write(A, `viking://resources/${sibling}`, bytes(sibling), replace);
      await s.move(A, 'viking://resources/a', 'viking://resources/new/z');
      expect(await textOf(s, A, 'viking://resources/new/z/b/y.md')).toBe('y');
      expect(await namesOf(s, A, 'viking://resources/new/z')).toEqual(['b/', 'x.md']);
      expect(await s.stat(A, 'viking://resources/a')).toBeNull();
      expect(await namesOf(s, A, 'viking://resources')).toEqual(['a%', 'a-b', 'a0', 'a_', 'ab', 'new/']);
      await s.move(A, 'viking://resources/ab', 'viking://resources/ab2');
      expect(await textOf(s, A, 'viking://resources/ab2')).toBe('ab');
    });

    test('move refuses a missing source, an existing destination and a move into itself', async () => {
      await s.write(A, 'viking://resources/a/x.md', bytes('x'), replace);
      await s.write(A, 'viking://resources/b.md', bytes('b'), replace);
      await expect(s.move(A, 'viking://resources/none', 'viking://resources/c')).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
      await expect(s.move(A, 'viking://resources/a', 'viking://resources/b.md')).rejects.toMatchObject({
        code: 'ALREADY_EXISTS',
      });
      await expect(s.move(A, 'viking://resources/a', 'viking://resources/a/in')).rejects.toMatchObject({
        code: 'CONFLICT',
      });
      await expect(s.move(A, 'viking://resources/a', 'viking://resources/b.md/in')).rejects.toMatchObject({
        code: 'CONFLICT',
      });
      expect(await textOf(s, A, 'viking://resources/a/x.md')).toBe('x');
    });

    test('remove takes a subtree, says whether anything was there, and spares prefix siblings', async () => {
      await s.write(A, 'viking://resources/a/b/y.md', bytes('y'), replace);
      await s.write(A, 'viking://resources/a0.md', bytes('a0'), replace);
      await s.write(A, 'viking://resources/a-b.md', bytes('a-b'), replace);
      expect(await s.remove(A, 'viking://resources/a')).toBe(true);
      expect(await s.remove(A, 'viking://resources/a')).toBe(false);
      expect(await s.stat(A, 'viking://resources/a/b/y.md')).toBeNull();
      expect(await namesOf(s, A, 'viking://resources')).toEqual(['a-b.md', 'a0.md']);
      expect(await s.remove(A, 'viking://resources/a0.md')).toBe(true);
      expect(await namesOf(s, A, 'viking://resources')).toEqual(['a-b.md']);
    });

    test.each(HOSTILE)('a name like %j is stored, listed, moved and removed as itself', async (hostile) => {
      const dir = `viking://resources/${hostile}`;
      await s.write(A, `${dir}/${hostile}.md`, bytes(hostile), replace);
      // A neighbour that a LIKE pattern made of the name would also match (`a_b` → `aQb`).
      const near = hostile.replaceAll('%', 'Q').replaceAll('_', 'Q');
      const other = near === hostile ? 'zz' : near;
      const neighbour = `viking://resources/${other}`;
      await s.write(A, `${neighbour}/inner.md`, bytes('n'), replace);
      const names = await namesOf(s, A, 'viking://resources');
      expect(await textOf(s, A, `${dir}/${hostile}.md`)).toBe(hostile);
      expect(await namesOf(s, A, dir)).toEqual([`${hostile}.md`]);
      await s.move(A, dir, `${dir}-moved`);
      expect(await textOf(s, A, `${dir}-moved/${hostile}.md`)).toBe(hostile);
      expect(await namesOf(s, A, 'viking://resources')).toEqual(
        names.map((n) => (n === `${hostile}/` ? `${hostile}-moved/` : n)).sort(),
      );
      expect(await s.remove(A, `${dir}-moved`)).toBe(true);
      expect(await namesOf(s, A, 'viking://resources')).toEqual([`${other}/`]);
      expect(await textOf(s, A, `${neighbour}/inner.md`)).toBe('n');
    });

    test("another account's entries are never seen, changed or removed", async () => {
      await s.write(A, 'viking://resources/secret/s.md', bytes('secret'), replace);
      expect(await s.stat(B, 'viking://resources/secret/s.md')).toBeNull();
      expect(await s.read(B, 'viking://resources/secret/s.md')).toBeNull();
      expect(await s.list(B, 'viking://resources/secret')).toEqual([]);
      expect(await s.list(B, 'viking://')).toEqual([]);
      expect(await s.remove(B, 'viking://resources/secret')).toBe(false);
      await expect(s.move(B, 'viking://resources/secret', 'viking://resources/mine')).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
      await s.write(B, 'viking://resources/secret/s.md', bytes('b'), create);
      expect(await textOf(s, A, 'viking://resources/secret/s.md')).toBe('secret');
      expect(await textOf(s, B, 'viking://resources/secret/s.md')).toBe('b');
    });

    test("writes never create an account's root: without it they are NOT_FOUND", async () => {
      await expect(s.write('gone', 'viking://resources/x.md', bytes('x'), replace)).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
      await expect(s.mkdir('gone', 'viking://resources')).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect(await s.stat('gone', 'viking://')).toBeNull();
      expect(await s.remove(A, 'viking://')).toBe(true);
      await expect(s.write(A, 'viking://resources/x.md', bytes('x'), replace)).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
    });

    test('an invalid account id or a URI that is not canonical is refused before use', async () => {
      await expect(s.stat('../beta', 'viking://resources')).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
      for (const uri of ['viking://resources/../../x', 'viking://resources//x', '/etc/passwd']) {
        await expect(s.write(A, uri, bytes('x'), replace)).rejects.toThrow(/not a canonical URI/);
      }
    });

    test('a write racing the removal of its folder leaves either both or neither', async () => {
      const other = await fx.other();
      for (let i = 0; i < 16; i++) {
        const file = `viking://resources/r${i}/deep/f.md`;
        await s.mkdir(A, `viking://resources/r${i}/deep`);
        await Promise.allSettled([
          s.write(A, file, bytes('x'), replace),
          other.remove(A, `viking://resources/r${i}`),
        ]);
        // A file that is there is reachable: every folder above it is there too.
        const there = (await s.stat(A, file)) !== null;
        const dirs = [`viking://resources/r${i}`, `viking://resources/r${i}/deep`];
        const kinds = await Promise.all(dirs.map(async (d) => (await s.stat(A, d))?.kind ?? null));
        if (there) expect(kinds).toEqual(['folder', 'folder']);
      }
    });
  });
}
