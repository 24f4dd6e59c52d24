/**
 * Backup and restore of a whole DATA_DIR (issue 14, item 8). A random multi-tenant world is written
 * over HTTP, then backed up through `POST /api/v1/system/backup` while writes keep arriving; the copy
 * is restored into a fresh folder and the parity check runs there: files, registry (the same keys
 * work), journal and index agree, and every write acknowledged before the backup is in it. The
 * scripts (`npm run backup`/`restore`) are run too: against a running server and offline.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Express } from 'express';
import fc from 'fast-check';
import request from 'supertest';
import { loadConfig } from '../../src/config.js';
import { createApp } from '../../src/http/app.js';
import { logger } from '../../src/log.js';
import { buildServices, type Services } from '../../src/services.js';
import { restoreBackup } from '../../src/storage/snapshot.js';
import { pathOfUri } from '../../src/storage/paths.js';
import { checkParity } from '../search/parity-check.js';
import {
  createAccounts,
  planArb,
  ROOT_KEY,
  unique,
  writeDocs,
  type Account,
  type Caller,
  type Doc,
} from '../search/world.js';
import { startServer } from '../helpers/server-child.js';
import { tempDir } from '../helpers/temp-dir.js';

const run = promisify(execFile);
const work = tempDir('vs-backup-');
afterAll(() => work.remove());

async function open(dataDir: string): Promise<{ services: Services; app: Express }> {
  const config = loadConfig({ ROOT_API_KEY: ROOT_KEY, DATA_DIR: dataDir, EMBEDDER: 'builtin' });
  const services = await buildServices(config, logger);
  return { services, app: createApp(services) };
}

const backup = (app: Express, dest: string, key = ROOT_KEY) =>
  request(app).post('/api/v1/system/backup').set('X-API-Key', key).send({ dest });

/** A write racing the backup: a document of the first account's admin under viking://resources. */
async function racingWrite(app: Express, account: Account): Promise<Doc & { ackedAt: number }> {
  const token = unique('tokrace');
  const uri = `viking://resources/race/${token}.md`;
  const res = await request(app)
    .post('/api/v1/content/write')
    .set('X-API-Key', account.admin.key)
    .send({ uri, content: `${token} is the unique word of this document` });
  expect(res.status).toBe(200);
  const writer: Caller = {
    label: 'admin',
    account: account.id,
    user: account.admin.user,
    agent: 'default',
    key: account.admin.key,
    headers: {},
  };
  return { token, account: account.id, uri, hitUri: uri, writer, ackedAt: Date.now() };
}

test('a backup taken while writes arrive restores into a consistent store (parity check)', async () => {
  const source = await open(join(work.path, 'source'));
  const [plan] = fc.sample(planArb, { numRuns: 1, seed: 14 });
  if (plan === undefined) throw new Error('no plan');
  const accounts = await createAccounts(source.app, plan.policies);
  const docs = await writeDocs(source.app, accounts, plan.docs);
  const first = accounts[0] as Account;
  const dest = join(work.path, 'copy');
  // Writes before, during and after the backup request; none may fail or be half-copied.
  const racing = Array.from({ length: 12 }, (_, i) =>
    new Promise((resolve) => setTimeout(resolve, i * 15)).then(() => racingWrite(source.app, first)),
  );
  const requestedAt = Date.now();
  const answer = await backup(source.app, dest);
  expect(answer.status).toBe(200);
  expect(answer.body).toMatchObject({ result: { dest, format: 'vikingscope-backup', format_version: 1 } });
  const raced = await Promise.all(racing);
  // The source keeps serving writes afterwards.
  await racingWrite(source.app, first);
  await source.services.close();

  const restored = join(work.path, 'restored');
  await restoreBackup(dest, { dataDir: restored, lancedbUri: join(restored, 'lancedb') });
  const copy = await open(restored);
  try {
    const present: Doc[] = [];
    for (const doc of raced) {
      const path = pathOfUri(restored, doc.account, doc.uri);
      const text = await readFile(path, 'utf8').catch(() => null);
      if (doc.ackedAt < requestedAt) expect(text).not.toBeNull();
      if (text === null) continue;
      expect(text).toBe(`${doc.token} is the unique word of this document`);
      present.push(doc);
    }
    await checkParity(copy.app, accounts, [...docs, ...present], [0, 3, 7, 11, 17, 23, 29], [1, 2, 3]);
  } finally {
    await copy.services.close();
  }
}, 120_000);

test('backups are for ROOT, into a new absolute folder; restores only into an empty one', async () => {
  const source = await open(join(work.path, 'refusals'));
  try {
    const [account] = await createAccounts(source.app, [
      { isolate_user_scope_by_agent: false, isolate_agent_scope_by_user: false },
    ]);
    if (account === undefined) throw new Error('no account');
    expect((await backup(source.app, join(work.path, 'b1'), account.admin.key)).status).toBe(403);
    expect((await backup(source.app, 'relative/dir')).status).toBe(400);
    expect((await backup(source.app, join(work.path, 'refusals', 'inside'))).status).toBe(400);
    expect((await backup(source.app, join(work.path, 'b1'))).status).toBe(200);
    const again = await backup(source.app, join(work.path, 'b1'));
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ error: { code: 'ALREADY_EXISTS' } });
  } finally {
    await source.services.close();
  }
  const busy = join(work.path, 'refusals');
  await expect(
    restoreBackup(join(work.path, 'b1'), { dataDir: busy, lancedbUri: join(busy, 'lancedb') }),
  ).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
  const fresh = join(work.path, 'never');
  await expect(
    restoreBackup(busy, { dataDir: fresh, lancedbUri: join(fresh, 'lancedb') }),
  ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
});

test('an index outside DATA_DIR is copied and restored to the configured LANCEDB_URI', async () => {
  const place = (name: string) => ({
    dataDir: join(work.path, name, 'data'),
    lancedbUri: join(work.path, name, 'index'),
  });
  const from = place('apart');
  const config = loadConfig({ DATA_DIR: from.dataDir, LANCEDB_URI: from.lancedbUri, EMBEDDER: 'builtin' });
  const services = await buildServices(config, logger);
  const ctx = {
    role: 'root' as const,
    policy: await services.accounts.policyOf('default'),
    effective: { account_id: 'default', user_id: 'default', agent_id: 'default' },
  };
  await services.vfs.write(ctx, { uri: 'viking://resources/apart.md', content: 'narwhal apart', wait: true });
  const dest = join(work.path, 'apart-copy');
  await services.backup(ctx, dest);
  await services.close();
  const to = place('apart-restored');
  await restoreBackup(dest, to);
  const restored = await buildServices(
    loadConfig({ DATA_DIR: to.dataDir, LANCEDB_URI: to.lancedbUri, EMBEDDER: 'builtin' }),
    logger,
  );
  try {
    expect(await restored.store.countRows()).toBeGreaterThan(0);
    expect(await restored.vfs.read(ctx, 'viking://resources/apart.md')).toBe('narwhal apart');
  } finally {
    await restored.close();
  }
});

const script = (name: 'backup' | 'restore', args: string[], env: Record<string, string>) =>
  run(process.execPath, ['--import', './test/helpers/ts-register.mjs', `scripts/${name}.ts`, ...args], {
    env: { ...process.env, NODE_OPTIONS: '', LOG_LEVEL: 'silent', EMBEDDER: 'builtin', ...env },
    timeout: 60_000,
  });

test('npm run backup copies a stopped store offline; npm run restore brings it back', async () => {
  const dataDir = join(work.path, 'offline');
  const source = await open(dataDir);
  await source.services.vfs.write(
    {
      role: 'root',
      policy: await source.services.accounts.policyOf('default'),
      effective: { account_id: 'default', user_id: 'default', agent_id: 'default' },
    },
    { uri: 'viking://resources/offline.md', content: 'zebrafish offline copy', wait: true },
  );
  await source.services.close();
  const dest = join(work.path, 'offline-copy');
  const made = await script('backup', [dest], { DATA_DIR: dataDir, ROOT_API_KEY: ROOT_KEY });
  expect(made.stdout).toContain(`backup written to ${dest}`);
  const restored = join(work.path, 'offline-restored');
  const back = await script('restore', [dest, restored], { ROOT_API_KEY: ROOT_KEY });
  expect(back.stdout).toContain(`into ${restored}`);
  const copy = await open(restored);
  try {
    const found = await request(copy.app)
      .post('/api/v1/search/find')
      .set('X-API-Key', ROOT_KEY)
      .set({ 'X-OpenViking-Account': 'default', 'X-OpenViking-User': 'default' })
      .send({ query: 'zebrafish', mode: 'fulltext' });
    expect(found.status).toBe(200);
    expect(found.body).toMatchObject({ result: { resources: [{ uri: 'viking://resources/offline.md' }] } });
  } finally {
    await copy.services.close();
  }
  // Restoring over a store that holds data is refused, with nothing changed.
  await expect(script('restore', [dest, restored], {})).rejects.toMatchObject({ code: 1 });
});

test('npm run backup asks a running server (it holds the DATA_DIR lock) to take the copy', async () => {
  const dataDir = join(work.path, 'online');
  const server = await startServer(dataDir, {});
  try {
    const written = await fetch(`http://127.0.0.1:${server.port}/api/v1/content/write`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ uri: 'viking://resources/live.md', content: 'okapi while serving' }),
    });
    expect(written.status).toBe(200);
    const dest = join(work.path, 'online-copy');
    const made = await script('backup', [dest], {
      DATA_DIR: dataDir,
      PORT: String(server.port),
      ROOT_API_KEY: '',
    });
    expect(made.stdout).toContain(`backup of the running server written to ${dest}`);
    expect(await readFile(join(dest, 'data/fs/default/resources/live.md'), 'utf8')).toBe(
      'okapi while serving',
    );
    // The lock of the running server is not part of the copy, so it can be restored and started.
    const restored = join(work.path, 'online-restored');
    await restoreBackup(dest, { dataDir: restored, lancedbUri: join(restored, 'lancedb') });
    const copy = await open(restored);
    await copy.services.pipeline.waitIdle();
    const found = await request(copy.app)
      .post('/api/v1/search/find')
      .set('X-API-Key', ROOT_KEY)
      .set({ 'X-OpenViking-Account': 'default', 'X-OpenViking-User': 'default' })
      .send({ query: 'okapi', mode: 'fulltext' });
    await copy.services.close();
    expect(found.body).toMatchObject({ result: { resources: [{ uri: 'viking://resources/live.md' }] } });
  } finally {
    server.process.kill('SIGTERM');
    await server.exited;
  }
});
