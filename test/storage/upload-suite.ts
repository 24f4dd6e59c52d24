/**
 * The contract of an UploadStorage (src/uploads/storage.ts), run through the UploadStore against
 * every implementation: the local files of the embedded mode and PostgreSQL. Each implementation's
 * test file calls {@link uploadStorageSuite} with a factory of fresh, empty storages.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { UPLOAD_TTL_MS, UploadStore } from '../../src/uploads/store.js';
import type { UploadStorage } from '../../src/uploads/storage.js';
import { tempDir } from '../helpers/temp-dir.js';

export interface UploadStorageFixture {
  readonly storage: UploadStorage;
  /** `{DATA_DIR}/uploads` of the storage's process (its incoming files; the local uploads). */
  readonly dir: string;
  /** Another storage on the same stored uploads, and its process's uploads folder. */
  other(): Promise<{ storage: UploadStorage; dir: string }>;
  close(): Promise<void>;
}

const POLICY = { isolate_user_scope_by_agent: false, isolate_agent_scope_by_user: false };
const ctxOf = (account_id: string, user_id: string, role: 'user' | 'admin' | 'root' = 'user') => ({
  effective: { account_id, user_id, agent_id: 'default' },
  role,
  policy: POLICY,
});
const alice = ctxOf('acme', 'alice');

export function uploadStorageSuite(name: string, make: () => Promise<UploadStorageFixture>): void {
  describe(`UploadStorage: ${name}`, () => {
    let fx: UploadStorageFixture;
    let now: number;
    const clock = () => now;
    let store: UploadStore;
    /** A store of another process on the same uploads (its own incoming folder where it has one). */
    const otherStore = async () => {
      const other = await fx.other();
      return new UploadStore({ dir: other.dir, storage: other.storage, now: clock });
    };
    beforeEach(async () => {
      fx = await make();
      now = Date.now();
      store = new UploadStore({ dir: fx.dir, storage: fx.storage, now: clock });
    });
    afterEach(() => fx.close());

    test('an upload made through one store is read through another, bytes and name intact', async () => {
      const data = Buffer.from([0, 1, 2, 255, 0x27, 0x5c, 0]);
      const { temp_file_id } = await store.save(alice, data, 'dir/notes – été.MD');
      expect(temp_file_id).toMatch(/^upload_[0-9a-f]{32}\.md$/);
      const read = await (await otherStore()).read(alice, temp_file_id);
      expect(read.upload).toEqual({ temp_file_id, filename: 'notes – été.MD', size: data.length });
      expect(read.data.equals(data)).toBe(true);
      // The received file was consumed.
      expect(await readdir(join(fx.dir, '.incoming'))).toEqual([]);
      // No name: the id stands for it.
      const unnamed = await store.save(alice, Buffer.from('x'));
      expect((await store.open(alice, unnamed.temp_file_id)).filename).toBe(unnamed.temp_file_id);
    });

    test("an upload is its uploader's: other users and accounts get NOT_FOUND, an ADMIN or ROOT acting as the uploader may use it", async () => {
      const { temp_file_id } = await store.save(alice, Buffer.from('secret'), 'secret.txt');
      const other = await otherStore();
      for (const ctx of [ctxOf('acme', 'bob'), ctxOf('other', 'alice'), ctxOf('acme', 'bob', 'admin')]) {
        await expect(other.read(ctx, temp_file_id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      }
      for (const ctx of [ctxOf('acme', 'alice', 'admin'), ctxOf('acme', 'alice', 'root')]) {
        expect((await other.read(ctx, temp_file_id)).data.toString()).toBe('secret');
      }
      for (const forged of ['../../fs/acme/x', 'upload_../x', `${temp_file_id}/..`, 42, undefined]) {
        await expect(other.open(alice, forged)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      }
      const unknown = 'upload_0123456789abcdef0123456789abcdef.txt';
      await expect(other.open(alice, unknown)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    test('an upload expires an hour after it was made; a sweep by any store removes it', async () => {
      const { temp_file_id } = await store.save(alice, Buffer.from('x'), 'x.txt');
      now += UPLOAD_TTL_MS - 1000;
      await expect(store.open(alice, temp_file_id)).resolves.toMatchObject({ filename: 'x.txt', size: 1 });
      now += 2000;
      await expect(store.open(alice, temp_file_id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      now += UPLOAD_TTL_MS;
      const fresh = await store.save(alice, Buffer.from('fresh'), 'fresh.txt');
      await (await otherStore()).sweep();
      expect(await fx.storage.meta('acme', temp_file_id)).toBeNull();
      expect(await fx.storage.data('acme', temp_file_id)).toBeNull();
      expect((await store.read(alice, fresh.temp_file_id)).data.toString()).toBe('fresh');
    });

    test('processes sweeping at once each succeed, and only expired uploads go', async () => {
      const old = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          store.save(ctxOf(i % 2 ? 'acme' : 'beta', 'alice'), Buffer.from(`${i}`)),
        ),
      );
      now += UPLOAD_TTL_MS + 60_000;
      const kept = await store.save(alice, Buffer.from('kept'), 'kept.txt');
      const stores = [store, await otherStore(), await otherStore(), store];
      await Promise.all(stores.map((s) => s.sweep()));
      for (const [i, { temp_file_id }] of old.entries()) {
        expect(await fx.storage.meta(i % 2 ? 'acme' : 'beta', temp_file_id)).toBeNull();
      }
      expect((await stores[1]?.read(alice, kept.temp_file_id))?.data.toString()).toBe('kept');
    });

    test('a discarded upload is gone for every store; names lose their folders', async () => {
      const { temp_file_id } = await store.save(alice, Buffer.from('x'), '../../etc/passwd');
      const other = await otherStore();
      expect((await other.open(alice, temp_file_id)).filename).toBe('passwd');
      await other.discard(alice, temp_file_id);
      await expect(store.open(alice, temp_file_id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(store.read(alice, temp_file_id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      // Discarding again, or a malformed id, is fine.
      await other.discard(alice, temp_file_id);
      await other.discard(alice, '../x');
    });

    test("forgetting an account removes its uploads and no other account's", async () => {
      const mine = await store.save(alice, Buffer.from('a'), 'a.txt');
      const theirs = await store.save(ctxOf('beta', 'bea'), Buffer.from('b'), 'b.txt');
      await (await otherStore()).forgetAccount('acme');
      await expect(store.open(alice, mine.temp_file_id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect((await store.read(ctxOf('beta', 'bea'), theirs.temp_file_id)).data.toString()).toBe('b');
      await expect(store.forgetAccount('../etc')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    });
  });
}

/** A fresh `{DATA_DIR}/uploads`-like folder per process of a fixture (removed by `remove`). */
export function uploadDirs(): { next(): string; remove(): void } {
  const made: Array<{ path: string; remove: () => void }> = [];
  return {
    next: () => {
      const dir = tempDir('vs-uploads-');
      made.push(dir);
      return dir.path;
    },
    remove: () => made.forEach((dir) => dir.remove()),
  };
}
