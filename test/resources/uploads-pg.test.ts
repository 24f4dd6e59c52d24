/**
 * `POST /api/v1/resources/temp_upload` in distributed mode: two server processes (each its own pool
 * and DATA_DIR, one PostgreSQL) behind the real app shell; an upload sent to one is used through the
 * other, MAX_UPLOAD_BYTES and the uploader binding hold as in the embedded mode (uploads.test.ts).
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Express } from 'express';
import request from 'supertest';
import { z } from 'zod';
import { AdminService } from '../../src/accounts/admin.js';
import { AccountStore } from '../../src/accounts/store.js';
import { loadConfig } from '../../src/config.js';
import { NO_HOOKS } from '../../src/hooks.js';
import { buildApp } from '../../src/http/app.js';
import { uploadsRouter } from '../../src/http/routes/uploads.js';
import { createPool, type Pool } from '../../src/storage/pg/pool.js';
import { PgUploadStorage } from '../../src/storage/pg/uploads.js';
import { UploadStore } from '../../src/uploads/store.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { tempDir } from '../helpers/temp-dir.js';

const LIMIT = 64 * 1024;

interface Process {
  app: Express;
  uploads: UploadStore;
  dataDir: string;
}

let db: TestDatabase;
const pools: Pool[] = [];
const dirs: Array<{ remove: () => void }> = [];
let a: Process;
let b: Process;

async function serverProcess(): Promise<Process> {
  const dir = tempDir('vs-uploads-pg-');
  dirs.push(dir);
  const pool = createPool(db.url);
  pools.push(pool);
  const config = loadConfig({
    AUTH_MODE: 'trusted',
    ROOT_API_KEY: '',
    DATA_DIR: dir.path,
    MAX_UPLOAD_BYTES: String(LIMIT),
  });
  const uploads = new UploadStore({ dir: join(dir.path, 'uploads'), storage: new PgUploadStorage(pool) });
  const accounts = await AccountStore.open({ dataDir: dir.path, registry: false, hooks: NO_HOOKS });
  const app = buildApp({
    config,
    accounts,
    admin: new AdminService(accounts),
    routers: [uploadsRouter(uploads, config.maxUploadBytes)],
  });
  return { app, uploads, dataDir: dir.path };
}

beforeAll(async () => {
  db = await createTestDatabase();
  a = await serverProcess();
  b = await serverProcess();
});
afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.end()));
  await db.drop();
  dirs.forEach((dir) => dir.remove());
});

const as = (p: Process, account: string, user: string) => ({
  upload: (data: Buffer, name: string) =>
    request(p.app)
      .post('/api/v1/resources/temp_upload')
      .set({ 'X-OpenViking-Account': account, 'X-OpenViking-User': user })
      .attach('file', data, name),
});
const idOf = (body: unknown): string =>
  z.object({ result: z.object({ temp_file_id: z.string() }) }).parse(body).result.temp_file_id;
const ctxOf = (account: string, user: string) => ({
  effective: { account_id: account, user_id: user, agent_id: 'default' },
  role: 'user' as const,
  policy: { isolate_user_scope_by_agent: false, isolate_agent_scope_by_user: false },
});
const rows = async () => (await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM uploads')).rows[0]?.n;

test('an upload sent to one process is read through another, with its name; the received file is gone', async () => {
  const res = await as(a, 'acme', 'alice').upload(Buffer.from('hello upload'), 'notes – été.md');
  expect(res.status).toBe(200);
  const id = idOf(res.body);
  expect(id).toMatch(/^upload_[0-9a-f]{32}\.md$/);
  const read = await b.uploads.read(ctxOf('acme', 'alice'), id);
  expect(read.upload.filename).toBe('notes – été.md');
  expect(read.data.toString()).toBe('hello upload');
  expect(await readdir(join(a.dataDir, 'uploads', '.incoming'))).toEqual([]);
  await expect(b.uploads.open(ctxOf('acme', 'bob'), id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  await expect(b.uploads.open(ctxOf('other', 'alice'), id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
});

test('an upload over MAX_UPLOAD_BYTES is 413 and leaves nothing behind', async () => {
  const before = await rows();
  const over = await as(a, 'acme', 'alice').upload(Buffer.alloc(LIMIT + 1, 97), 'a.txt');
  expect(over.status).toBe(413);
  expect(z.object({ error: z.object({ code: z.string() }) }).parse(over.body).error.code).toBe(
    'PAYLOAD_TOO_LARGE',
  );
  const huge = await as(a, 'acme', 'alice').upload(Buffer.alloc(4 * LIMIT, 97), 'b.txt');
  expect(huge.status).toBe(413);
  expect(await rows()).toBe(before);
  expect(await readdir(join(a.dataDir, 'uploads', '.incoming'))).toEqual([]);
  // Exactly the limit is accepted.
  expect((await as(a, 'acme', 'alice').upload(Buffer.alloc(LIMIT, 97), 'c.txt')).status).toBe(200);
});
