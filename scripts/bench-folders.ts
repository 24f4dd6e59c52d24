/**
 * Listing a huge folder: times `ls`, `tree` and `grep` through the filesystem service (in-process,
 * no HTTP) on one folder of N entries (default 50,000: files, and every 100th a folder holding one
 * file), to see that their cost follows the limit asked for, not the folder's size.
 *
 *   npm run bench:folders -- [entries]
 *   # or, without building: node --import ./test/helpers/ts-register.mjs scripts/bench-folders.ts [entries]
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Vfs } from '../src/fs/vfs.js';
import { NO_HOOKS } from '../src/hooks.js';
import { DEFAULT_POLICY, type RequestContext } from '../src/policy/index.js';
import { pathOfUri } from '../src/storage/paths.js';

const FOLDER = 'viking://resources/huge';
const ctx: RequestContext = {
  role: 'root',
  policy: DEFAULT_POLICY,
  effective: { account_id: 'default', user_id: 'default', agent_id: 'default' },
};

/** Writes the folder straight to disk (the layout the Vfs reads), in parallel slices. */
async function populate(dataDir: string, entries: number): Promise<void> {
  const dir = pathOfUri(dataDir, 'default', FOLDER);
  await mkdir(dir, { recursive: true });
  const one = async (i: number): Promise<void> => {
    const name = `e${String(i).padStart(6, '0')}`;
    const text = `entry ${i} alpha\n${i === Math.floor(entries / 4) ? 'the needle is here\n' : ''}`;
    if (i % 100 === 0) {
      await mkdir(join(dir, name));
      await writeFile(join(dir, name, 'inner.md'), text);
    } else await writeFile(join(dir, `${name}.md`), text);
  };
  for (let start = 0; start < entries; start += 500) {
    await Promise.all(Array.from({ length: Math.min(500, entries - start) }, (_, k) => one(start + k)));
  }
}

async function time(label: string, run: () => Promise<unknown[] | { count: number }>): Promise<void> {
  const started = process.hrtime.bigint();
  const result = await run();
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const count = Array.isArray(result) ? result.length : result.count;
  process.stdout.write(`${label.padEnd(44)} ${ms.toFixed(1).padStart(9)} ms  (${count} entries)\n`);
}

const entries = Number(process.argv[2] ?? 50_000);
const dataDir = await mkdtemp(join(tmpdir(), 'vs-bench-folders-'));
try {
  const vfs = new Vfs({ dataDir, hooks: NO_HOOKS, maxFileBytes: 10 * 1024 * 1024 });
  await vfs.initAccount('default');
  await populate(dataDir, entries);
  process.stdout.write(`${entries} entries in ${FOLDER}\n`);
  await vfs.ls(ctx, FOLDER, { nodeLimit: 10 }); // warm the disk cache and the JIT
  await time('ls (node_limit 1000, the default)', () => vfs.ls(ctx, FOLDER));
  await time('ls node_limit=10', () => vfs.ls(ctx, FOLDER, { nodeLimit: 10 }));
  await time('ls simple node_limit=10', () => vfs.ls(ctx, FOLDER, { nodeLimit: 10, simple: true }));
  await time('ls node_limit=10 offset=40000', () => vfs.ls(ctx, FOLDER, { nodeLimit: 10, offset: 40_000 }));
  await time('ls recursive node_limit=10', () => vfs.ls(ctx, FOLDER, { nodeLimit: 10, recursive: true }));
  await time('tree (level_limit 3, node_limit 1000)', () => vfs.tree(ctx, FOLDER));
  await time('tree node_limit=10', () => vfs.tree(ctx, FOLDER, { nodeLimit: 10 }));
  await time('grep "alpha" node_limit=10', () =>
    vfs.grep(ctx, { uri: FOLDER, pattern: 'alpha', nodeLimit: 10 }),
  );
  await time('grep "needle" (one match, a quarter in)', () =>
    vfs.grep(ctx, { uri: FOLDER, pattern: 'needle' }),
  );
} finally {
  await rm(dataDir, { recursive: true, force: true });
}
