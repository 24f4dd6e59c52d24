/**
 * The filesystem part of the visibility conformance (SPEC 3–4), for every storage backend: each
 * case of the table is placed into a fresh account of a {@link FsWorld} (a Vfs on the storages
 * `src/wiring/storages.ts` composes for that backend), then stat, read and write as the case's
 * identity must answer as the table says. Run by visibility.test.ts (local files) and
 * visibility-pg.test.ts (PostgreSQL).
 */
import { isScopeRoot } from '../../src/fs/access.js';
import { Vfs } from '../../src/fs/vfs.js';
import { NO_HOOKS } from '../../src/hooks.js';
import { resolveUri, type ResolvedUri } from '../../src/policy/index.js';
import { storageReader } from '../../src/sessions/reader.js';
import type { Storages } from '../../src/wiring/storages.js';
import { codeOf, ctxOf } from '../helpers/vfs.js';
import { cases, label } from './cases.js';

/** What a world answers after placing an entry: whether it is a folder, and a file's text. */
export interface Placed {
  readonly isDir: boolean;
  readonly content: string;
}

export interface FsWorld {
  readonly vfs: Vfs;
  /**
   * Puts the entry of `resolved` into `account`'s store: a folder, or a file holding `content` —
   * written directly, as only the session API writes the session scope. Returns what a read sees.
   */
  place(account: string, resolved: ResolvedUri, isFolder: boolean, content: string): Promise<Placed>;
}

/** The filesystem as the server composes it over `storages` (sessions' files and messages included). */
export function vfsOver(storages: Storages, dataDir: string): Vfs {
  return new Vfs({
    dataDir,
    storage: storages.files,
    hooks: NO_HOOKS,
    maxFileBytes: 1024 * 1024,
    sessionMessages: storageReader(storages.sessions),
  });
}

/** Declares one test per case of the table, against the world `world()` gives (set up in beforeAll). */
export function filesystemCases(world: () => FsWorld): void {
  test.each(cases.map((c, i) => [label(c, i), c, i] as const))('%s', async (_name, c, i) => {
    const { vfs } = world();
    const account = `case${i}`;
    const ctx = ctxOf(c.identity.role, c.identity.user_id, c.identity.agent_id, c.policy, account);
    if ('error' in c.expect) {
      expect(await codeOf(vfs.read(ctx, c.uri))).toBe(c.expect.error);
      expect(await codeOf(vfs.stat(ctx, c.uri))).toBe(c.expect.error);
      expect(await codeOf(vfs.write(ctx, { uri: c.uri, content: 'x' }))).toBe(c.expect.error);
      return;
    }
    const root = ctxOf('root', 'root-user', 'root-agent', c.policy, account);
    await vfs.initAccount(account);
    const resolved = resolveUri(c.expect.canonical, null, c.policy);
    const isFolder = resolved.is_container || resolved.segments.length <= 1 || isScopeRoot(ctx, resolved);
    const content = `content of case ${i}`;
    const placed =
      isFolder || resolved.scope === 'session'
        ? await world().place(account, resolved, isFolder, content)
        : await vfs.write(root, { uri: resolved.uri, content }).then(() => ({ isDir: false, content }));

    if (!c.expect.readable) {
      expect(await codeOf(vfs.stat(ctx, c.uri))).toBe('PERMISSION_DENIED');
      expect(await codeOf(vfs.read(ctx, c.uri))).toBe('PERMISSION_DENIED');
      expect(await codeOf(vfs.write(ctx, { uri: c.uri, content: 'y' }))).toBe('PERMISSION_DENIED');
      return;
    }
    const info = await vfs.stat(ctx, c.uri);
    expect(info.uri).toBe(c.expect.canonical);
    expect(info.isDir).toBe(placed.isDir);
    if (placed.isDir) {
      const read = await codeOf(vfs.read(ctx, c.uri));
      expect(read).toBe('FAILED_PRECONDITION');
      return;
    }
    expect(await vfs.read(ctx, c.uri)).toBe(placed.content);
    const written = await codeOf(vfs.write(ctx, { uri: c.uri, content: 'y' }));
    expect(written).toBe(resolved.scope === 'session' ? 'PERMISSION_DENIED' : 'ok');
  });
}
