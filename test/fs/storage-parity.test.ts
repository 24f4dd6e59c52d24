/**
 * The filesystem operations give the same answers over either FileStorage: one script of SPEC 7
 * operations (writes in every mode, mkdir with a description, ls, tree, stat, read, abstract, grep,
 * glob, mv, rm, and their refusals) run by a Vfs on local files and by a Vfs on PostgreSQL, with
 * isolating policies, compared result by result (times aside).
 */
import { Vfs } from '../../src/fs/index.js';
import type { FileStorage } from '../../src/fs/storage.js';
import type { RequestContext } from '../../src/policy/index.js';
import { PgFileStorage } from '../../src/storage/pg/files.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { tempDir } from '../helpers/temp-dir.js';
import { codeOf, ctxOf, policyOf, recordingHooks } from '../helpers/vfs.js';

const policy = policyOf(true, false);
const alice = ctxOf('user', 'alice', 'bot', policy);
const bob = ctxOf('user', 'bob', 'bot', policy);
const admin = ctxOf('admin', 'root', 'bot', policy);

/** Each step's answer, or the code it was refused with; modification times replaced. */
async function script(vfs: Vfs): Promise<unknown[]> {
  const out: unknown[] = [];
  const step = async (work: Promise<unknown>) => {
    const code = await codeOf(work);
    if (code !== 'ok') out.push({ refused: code });
    else out.push(JSON.parse(JSON.stringify(await work).replace(/"modTime":"[^"]*"/g, '"modTime":"T"')));
  };
  await vfs.initAccount('acme');
  for (const ctx of [alice, bob, admin]) await vfs.ensureIdentity(ctx);
  const w = (ctx: RequestContext, uri: string, content: string, mode?: 'replace' | 'append' | 'create') =>
    step(vfs.write(ctx, { uri, content, ...(mode === undefined ? {} : { mode }) }));
  await w(alice, 'viking://resources/docs/a.md', 'alpha\nbeta\n');
  await w(alice, 'viking://resources/docs/a.md', 'gamma\n', 'append');
  await w(alice, 'viking://resources/docs/a.md', 'again', 'create');
  await w(alice, 'viking://resources/docs/100%_b.md', 'percent beta');
  await w(alice, 'viking://user/memories/notes.md', 'alice beta');
  await w(bob, 'viking://user/memories/notes.md', 'bob beta');
  await w(alice, 'viking://resources/docs', 'a folder is here');
  await w(alice, 'viking://resources/docs/a.md/x.md', 'below a file');
  await step(vfs.mkdir(alice, 'viking://resources/docs/sub', 'about sub'));
  await step(vfs.mkdir(alice, 'viking://resources/docs/a.md'));
  await step(vfs.ls(alice, 'viking://resources/docs'));
  await step(vfs.ls(alice, 'viking://', { recursive: true, simple: true, showAllHidden: true }));
  await step(vfs.ls(bob, 'viking://user', { recursive: true, simple: true }));
  await step(vfs.ls(admin, 'viking://user', { recursive: true, simple: true }));
  await step(vfs.tree(alice, 'viking://resources', { levelLimit: 2 }));
  await step(vfs.stat(alice, 'viking://resources/docs/a.md'));
  await step(vfs.stat(alice, 'viking://resources/none'));
  await step(vfs.read(alice, 'viking://resources/docs/a.md', 1, 1));
  await step(vfs.read(alice, 'viking://resources/docs'));
  await step(vfs.abstract(alice, 'viking://resources/docs/sub'));
  await step(vfs.grep(alice, { uri: 'viking://', pattern: 'beta' }));
  await step(vfs.glob(alice, { uri: 'viking://resources', pattern: '**/*.md' }));
  await step(vfs.mv(alice, 'viking://resources/docs', 'viking://resources/moved/docs'));
  await step(vfs.mv(alice, 'viking://resources/none', 'viking://resources/other'));
  await step(vfs.ls(alice, 'viking://resources', { recursive: true, simple: true, showAllHidden: true }));
  await step(vfs.rm(alice, 'viking://resources/moved'));
  await step(vfs.rm(alice, 'viking://resources/moved', true));
  await step(vfs.rm(alice, 'viking://resources/moved', true));
  await step(vfs.ls(alice, 'viking://resources', { recursive: true, simple: true }));
  return out;
}

let db: TestDatabase;
let dir: ReturnType<typeof tempDir>;
beforeAll(async () => {
  db = await createTestDatabase();
  dir = tempDir('vs-fs-parity-');
});
afterAll(async () => {
  await db.drop();
  dir.remove();
});

const vfsOn = (storage?: FileStorage) =>
  new Vfs({
    dataDir: dir.path,
    hooks: recordingHooks(),
    maxFileBytes: 1 << 20,
    ...(storage === undefined ? {} : { storage }),
  });

test('a Vfs on PostgreSQL answers the script exactly as a Vfs on local files', async () => {
  const local = await script(vfsOn());
  const pg = await script(vfsOn(new PgFileStorage(db.pool)));
  expect(local).toContainEqual({ refused: 'ALREADY_EXISTS' });
  expect(local).toContainEqual({ refused: 'CONFLICT' });
  expect(pg).toEqual(local);
});
