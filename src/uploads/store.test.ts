import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UPLOAD_TTL_MS, UploadStore } from './store.js';

const ctx = {
  effective: { account_id: 'acme', user_id: 'alice', agent_id: 'default' },
  role: 'user' as const,
  policy: { isolate_user_scope_by_agent: false, isolate_agent_scope_by_user: false },
};

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vs-uploads-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

test('an upload expires an hour after it was made, and the sweep removes its files', async () => {
  let now = Date.now();
  const store = new UploadStore({ dir, now: () => now });
  const { temp_file_id } = await store.save(ctx, Buffer.from('x'), 'x.txt');
  now += UPLOAD_TTL_MS - 1000;
  await expect(store.open(ctx, temp_file_id)).resolves.toMatchObject({ filename: 'x.txt', size: 1 });
  now += 2000;
  await expect(store.open(ctx, temp_file_id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  now += UPLOAD_TTL_MS;
  await store.sweep();
  expect(await readdir(join(dir, 'acme'))).toEqual([]);
});

test('a discarded upload is gone; names lose their folders', async () => {
  const store = new UploadStore({ dir });
  const { temp_file_id } = await store.save(ctx, Buffer.from('x'), '../../etc/passwd');
  expect((await store.open(ctx, temp_file_id)).filename).toBe('passwd');
  await store.discard(ctx, temp_file_id);
  await expect(store.open(ctx, temp_file_id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
});
