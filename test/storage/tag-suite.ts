/**
 * The contract of a TagStorage (src/tags/storage.ts), run through the TagStore against every
 * implementation: the local file of the embedded mode and PostgreSQL. Each implementation's test file
 * calls {@link tagStorageSuite} with a factory of fresh, empty storages.
 */
import { TagStore } from '../../src/tags/store.js';
import type { TagStorage } from '../../src/tags/storage.js';

export interface TagStorageFixture {
  readonly storage: TagStorage;
  /** Another storage on the same stored tags (another process where the backend allows it). */
  other(): Promise<TagStorage>;
  close(): Promise<void>;
}

const A = 'acme';
const B = 'beta';
/** URIs that a LIKE pattern, a quote or a byte-unaware comparison would get wrong. */
const HOSTILE = ['100%', 'a_b', "it's", 'say "hi"', 'back\\slash', 'naïve', '日本語', '🦊 fox', 'x;DROP'].map(
  (name) => `viking://resources/${name}`,
);

export function tagStorageSuite(name: string, make: () => Promise<TagStorageFixture>): void {
  describe(`TagStorage: ${name}`, () => {
    let fx: TagStorageFixture;
    let tags: TagStore;
    beforeEach(async () => {
      fx = await make();
      tags = new TagStore(fx.storage);
    });
    afterEach(() => fx.close());

    test('set, append and remove tags; read back by URI and by tag, also from another store', async () => {
      const x = 'viking://resources/x.md';
      const y = 'viking://resources/y.md';
      expect(await tags.update(A, [x, y], ['k=v', 'red'], 'replace')).toEqual(
        new Map([
          [x, ['k=v', 'red']],
          [y, ['k=v', 'red']],
        ]),
      );
      await tags.update(A, [x], ['blue', 'red'], 'append');
      await tags.update(A, [y], ['red'], 'remove');
      expect(await tags.tagsOf(A, x)).toEqual(['k=v', 'red', 'blue']);
      expect(await tags.tagsOf(A, y)).toEqual(['k=v']);
      expect((await tags.urisWithAll(A, ['k=v'])).sort()).toEqual([x, y]);
      expect(await tags.urisWithAll(A, ['red', 'blue'])).toEqual([x]);
      expect(await tags.tagsOf(B, x)).toEqual([]);
      // Removing every tag removes the entry.
      await tags.update(A, [y], ['k=v'], 'remove');
      const fresh = new TagStore(await fx.other());
      expect(await fresh.tagsOf(A, x)).toEqual(['k=v', 'red', 'blue']);
      expect(await fresh.urisWithAll(A, [])).toEqual([x]);
    });

    test('tags follow a move and go with a removal, hostile names included', async () => {
      await tags.update(A, [...HOSTILE, 'viking://resources/keep', 'viking://resourcesX'], ['t'], 'replace');
      await tags.moved(A, 'viking://resources', 'viking://archive/r');
      const moved = HOSTILE.map((uri) => uri.replace('viking://resources/', 'viking://archive/r/'));
      const other = new TagStore(await fx.other());
      expect((await other.urisWithAll(A, ['t'])).sort()).toEqual(
        [...moved, 'viking://archive/r/keep', 'viking://resourcesX'].sort(),
      );
      for (const uri of moved) expect(await other.tagsOf(A, uri)).toEqual(['t']);
      await tags.removed(A, 'viking://archive/r/100%');
      await tags.removed(A, 'viking://archive');
      expect(await other.urisWithAll(A, ['t'])).toEqual(['viking://resourcesX']);
    });

    test("another store's change is seen at the next read, never a stale cached copy", async () => {
      const x = 'viking://resources/x.md';
      const other = new TagStore(await fx.other());
      await tags.update(A, [x], ['one'], 'replace');
      expect(await other.tagsOf(A, x)).toEqual(['one']); // now cached there
      await tags.update(A, [x], ['two'], 'replace');
      expect(await other.tagsOf(A, x)).toEqual(['two']);
      await tags.moved(A, x, 'viking://resources/z.md');
      expect(await other.urisWithAll(A, ['two'])).toEqual(['viking://resources/z.md']);
      // And the other way round: the first store's cache is checked too.
      await other.update(A, ['viking://resources/z.md'], ['three'], 'append');
      expect(await tags.tagsOf(A, 'viking://resources/z.md')).toEqual(['two', 'three']);
    });

    test('concurrent changes from two stores all land (none overwrites another)', async () => {
      const other = new TagStore(await fx.other());
      const uris = Array.from({ length: 24 }, (_, i) => `viking://resources/f${i}.md`);
      await Promise.all(
        uris.map((uri, i) =>
          (i % 2 === 0 ? tags : other).update(A, [uri, 'viking://shared'], [`t${i}`], 'append'),
        ),
      );
      const check = new TagStore(await fx.other());
      for (const [i, uri] of uris.entries()) expect(await check.tagsOf(A, uri)).toEqual([`t${i}`]);
      expect([...(await check.tagsOf(A, 'viking://shared'))].sort()).toEqual(
        uris.map((_, i) => `t${i}`).sort(),
      );
    });

    test("a deleted account's tags are gone for every store; the account can be tagged again", async () => {
      const x = 'viking://resources/x.md';
      const other = new TagStore(await fx.other());
      await tags.update(A, [x], ['old'], 'replace');
      await tags.update(B, [x], ['b'], 'replace');
      expect(await other.tagsOf(A, x)).toEqual(['old']);
      await tags.forgetAccount(A);
      expect(await other.tagsOf(A, x)).toEqual([]);
      expect(await tags.tagsOf(B, x)).toEqual(['b']);
      await other.update(A, [x], ['new'], 'replace');
      expect(await tags.tagsOf(A, x)).toEqual(['new']);
    });

    test('every change gives a new version, never an old one; an edit that throws stores nothing', async () => {
      const s = fx.storage;
      const x = 'viking://resources/x.md';
      const set = (tags: string[]) => (map: Map<string, readonly string[]>) => void map.set(x, tags);
      const seen = new Set<string>();
      const first = await s.change(A, undefined, set(['a']));
      seen.add(first.snapshot.version);
      expect(await s.version(A)).toBe(first.snapshot.version);
      await expect(
        s.change(A, first.snapshot, (map) => {
          map.set(x, ['lost']);
          throw new Error('refused');
        }),
      ).rejects.toThrow('refused');
      expect(await s.load(A)).toEqual({ version: first.snapshot.version, tags: new Map([[x, ['a']]]) });
      // A stale cached copy is not used as the base: the edit sees what is stored.
      const stale = { version: 'not-a-version', tags: new Map([[x, ['stale']]]) };
      const second = await s.change(A, stale, (map) => [...(map.get(x) ?? [])]);
      expect(second.result).toEqual(['a']);
      seen.add(second.snapshot.version);
      await s.removeAccount(A);
      expect((await s.load(A)).tags.size).toBe(0);
      for (let i = 0; i < 3; i += 1) {
        const { snapshot } = await s.change(A, undefined, set([`v${i}`]));
        expect(seen.has(snapshot.version)).toBe(false);
        seen.add(snapshot.version);
      }
    });

    test('an invalid account id or URI is refused before it is used', async () => {
      await expect(tags.tagsOf('../x', 'viking://a')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(tags.update('../x', ['viking://a'], ['t'], 'replace')).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
    });
  });
}
