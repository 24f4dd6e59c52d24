/**
 * Issue 28, wrong answers that looked like success: `npm run backup` / `npm run reindex` pointed at a
 * DATA_DIR holding no store must fail (exit 2) naming the path looked at, create nothing, and name a
 * running server's DATA_DIR when one answers on HOST:PORT; `reindex` of an unknown account exits 2
 * naming it; `--help` prints the usage. The scripts run from source (ts-register), as in backup.test.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '../../src/config.js';
import { logger } from '../../src/log.js';
import { buildServices } from '../../src/services.js';
import { startServer } from '../helpers/server-child.js';
import { tempDir } from '../helpers/temp-dir.js';

const run = promisify(execFile);
const work = tempDir('vs-store-required-');
afterAll(() => work.remove());

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `scripts/<name>.ts` with only the given configuration (none of the test's own). */
async function script(name: string, args: string[], env: Record<string, string>): Promise<Ran> {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !['DATA_DIR', 'PORT', 'ROOT_API_KEY', 'HOST'].includes(k)),
  );
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ['--import', './test/helpers/ts-register.mjs', `scripts/${name}.ts`, ...args],
      {
        env: { ...base, NODE_OPTIONS: '', LOG_LEVEL: 'silent', EMBEDDER: 'builtin', ...env },
        timeout: 60_000,
      },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** A real store (first start of the services in `dataDir`: account `default`). */
async function makeStore(dataDir: string): Promise<void> {
  const services = await buildServices(loadConfig({ DATA_DIR: dataDir, EMBEDDER: 'builtin' }), logger);
  await services.close();
}

// A port nothing listens on, so no running server is reported unless a test starts one.
const NO_SERVER = { PORT: '9', HOST: '127.0.0.1' };

test('backup of a DATA_DIR without a store fails with exit 2, names the path and creates nothing', async () => {
  const dataDir = join(work.path, 'nothing-here');
  const dest = join(work.path, 'b0');
  const made = await script('backup', [dest], { DATA_DIR: dataDir, ...NO_SERVER });
  expect(made.code).toBe(2);
  expect(made.stderr).toContain(`no VikingScope store in DATA_DIR ${dataDir}`);
  expect(made.stderr).toContain('DATA_DIR=/path/to/store npm run backup -- DEST');
  expect(made.stdout).not.toContain('backup written');
  expect(existsSync(dataDir)).toBe(false);
  expect(existsSync(dest)).toBe(false);
});

test('pointed at an empty DATA_DIR while a server runs, backup names the server and its DATA_DIR', async () => {
  const served = join(work.path, 'served');
  const server = await startServer(served, {});
  try {
    const empty = join(work.path, 'empty');
    mkdirSync(empty);
    const made = await script('backup', [join(work.path, 'b1')], {
      DATA_DIR: empty,
      PORT: String(server.port),
    });
    expect(made.code).toBe(2);
    expect(made.stderr).toContain(`no VikingScope store in DATA_DIR ${empty}`);
    expect(made.stderr).toContain(
      `the server answering on http://127.0.0.1:${server.port} uses DATA_DIR ${served}`,
    );
    expect(made.stderr).toContain(`DATA_DIR=${served} npm run backup -- DEST`);
    expect(existsSync(join(empty, 'fs'))).toBe(false);
  } finally {
    server.process.kill('SIGTERM');
    await server.exited;
  }
});

test('reindex refuses a DATA_DIR without a store and an unknown account (exit 2, named)', async () => {
  const none = join(work.path, 'no-store');
  const missing = await script('reindex', [], { DATA_DIR: none, ...NO_SERVER });
  expect([missing.code, missing.stderr]).toEqual([2, expect.stringContaining(`DATA_DIR ${none}`)]);
  expect(existsSync(none)).toBe(false);

  const store = join(work.path, 'store');
  await makeStore(store);
  const unknown = await script('reindex', ['nosuch'], { DATA_DIR: store, ...NO_SERVER });
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toContain(
    `account 'nosuch' not found in DATA_DIR ${store} (accounts there: default)`,
  );
  expect(unknown.stdout).toBe('');
});

test('reindex --help and backup --help print their usage and exit 0', async () => {
  const help = await script('reindex', ['--help'], { DATA_DIR: join(work.path, 'h'), ...NO_SERVER });
  expect([help.code, help.stdout]).toEqual([0, expect.stringContaining('usage: npm run reindex')]);
  const backupHelp = await script('backup', ['--help'], { DATA_DIR: join(work.path, 'h'), ...NO_SERVER });
  expect([backupHelp.code, backupHelp.stdout]).toEqual([0, expect.stringContaining('usage: npm run backup')]);
  expect(existsSync(join(work.path, 'h'))).toBe(false);
});

test('in distributed mode backup and restore refuse (exit 2) naming pg_dump / pg_restore; reindex on an unreachable database fails naming it; nothing touched', async () => {
  // Refused before any connection: the URL need not answer.
  const env = { DATABASE_URL: 'postgres://postgres@127.0.0.1:9/vikingscope', ...NO_SERVER };
  const dataDir = join(work.path, 'distributed');
  const backup = await script('backup', [join(work.path, 'pg-b')], { ...env, DATA_DIR: dataDir });
  expect([backup.code, backup.stderr]).toEqual([2, expect.stringMatching(/npm run backup.*pg_dump/)]);
  const restore = await script('restore', [join(work.path, 'pg-b'), dataDir], env);
  expect([restore.code, restore.stderr]).toEqual([2, expect.stringMatching(/npm run restore.*pg_restore/)]);
  // reindex works in distributed mode (test/scripts/reindex-pg.test.ts); this database never answers.
  const reindex = await script('reindex', [], { ...env, DATA_DIR: dataDir });
  expect([reindex.code, reindex.stderr]).toEqual([
    1,
    'reindex: the database is unavailable; retry shortly\n',
  ]);
  expect(existsSync(dataDir)).toBe(false);
  expect(existsSync(join(work.path, 'pg-b'))).toBe(false);
});
