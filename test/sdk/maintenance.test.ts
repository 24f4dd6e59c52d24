/**
 * Issue 26, index maintenance: the SDK's `checkConsistency(uri)` and `reindex(uri)` (404 before) report
 * what they found and what they queued to fix it, converge the index on the filesystem, see and fix
 * only what the caller may read (reindex: write), and run as a task for a large subtree.
 */
import { mkdir, rm, utimes, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { pathOfUri } from '../../src/storage/paths.js';
import { fullApp, searchUris, type Client, type FullApp } from '../helpers/full-app.js';
import { at, resultOf } from '../helpers/http-app.js';
import { sdk } from './sdk-requests.js';

const ALICE = { account: 'acme', user: 'alice' };
const BOB = { account: 'acme', user: 'bob' };
const KB = 'viking://resources/kb';

let t: FullApp;
const write = (c: Client, uri: string, content: string) =>
  c.post('/api/v1/content/write').send({ uri, content, wait: true }).expect(200);
const onDisk = (uri: string) => pathOfUri(t.dataDir, 'acme', uri);
const settle = () => t.root().post('/api/v1/system/wait').send({}).expect(200);

/** Changes a file behind the API's back (what a crash, a restore by hand or a bug could leave). */
async function writeBehind(uri: string, content: string): Promise<void> {
  await mkdir(dirname(onDisk(uri)), { recursive: true });
  await writeFile(onDisk(uri), content);
  const later = new Date(Date.now() + 5000);
  await utimes(onDisk(uri), later, later);
}

beforeAll(async () => {
  t = await fullApp({ accounts: [{ account_id: 'acme', users: ['alice', 'bob'] }] });
  await write(t.client(ALICE), `${KB}/a.md`, 'quetzal alpha');
  await write(t.client(ALICE), `${KB}/b.md`, 'quetzal beta');
  await write(t.client(ALICE), 'viking://user/memories/note.md', 'quetzal memory');
});
afterAll(() => t.close());

describe('checkConsistency', () => {
  test('a consistent subtree', async () => {
    const res = await sdk(t.client(ALICE)).checkConsistency(KB).expect(200);
    expect(resultOf(res)).toMatchObject({
      uri: KB,
      consistent: true,
      files_checked: 2,
      counts: { missing: 0, stale: 0, orphans: 0 },
      fixed: { queued: 0 },
    });
  });

  test('finds missing, stale and orphan records, queues their fixes, and the index converges', async () => {
    await writeBehind(`${KB}/c.md`, 'quetzal gamma unseen');
    await writeBehind(`${KB}/b.md`, 'quetzal beta rewritten vicuna');
    await rm(onDisk(`${KB}/a.md`));
    const res = await sdk(t.client(ALICE)).checkConsistency('resources/kb').expect(200);
    expect(resultOf(res)).toMatchObject({
      consistent: false,
      counts: { missing: 1, stale: 1, orphans: 1 },
      missing_records: [`${KB}/c.md`],
      stale_records: [`${KB}/b.md`],
      orphan_records: [`${KB}/a.md`],
      fixed: { queued: 3 },
    });
    await settle();
    const again = resultOf(await sdk(t.client(ALICE)).checkConsistency(KB));
    expect(again).toMatchObject({ consistent: true });
    expect(await searchUris(t.client(ALICE), { query: 'vicuna', target_uri: KB, mode: 'fulltext' })).toEqual([
      `${KB}/b.md`,
    ]);
    expect(await searchUris(t.client(ALICE), { query: 'alpha', target_uri: KB, mode: 'fulltext' })).toEqual(
      [],
    );
  });

  test('isolation: another user neither sees nor fixes what it may not read', async () => {
    const memo = 'viking://user/alice/memories/hidden.md';
    await writeBehind(memo, 'quetzal unindexed');
    await sdk(t.client(BOB)).checkConsistency('viking://user/alice').expect(403);
    const bobs = resultOf(await sdk(t.client(BOB)).checkConsistency('viking://').expect(200));
    expect(JSON.stringify(bobs)).not.toContain('alice');
    await settle();
    const alices = await sdk(t.client(ALICE)).checkConsistency('viking://user/alice').expect(200);
    expect(at(alices, 'missing_records')).toEqual([memo]);
  });

  test('a session subtree is refused', async () => {
    await t.client(ALICE).post('/api/v1/sessions').send({ session_id: 's1' }).expect(200);
    await sdk(t.client(ALICE)).checkConsistency('viking://session/s1').expect(400);
  });
});

describe('reindex', () => {
  test('re-embeds every file and answers once they are indexed', async () => {
    const res = await sdk(t.client(ALICE)).reindex(KB).expect(200);
    expect(resultOf(res)).toMatchObject({
      uri: KB,
      mode: 'vectors_only',
      files: 2,
      reindexed: 2,
      orphans_removed: 0,
      indexed: true,
    });
  });

  test('prune_orphans with dry_run reports, without it removes; dry_run elsewhere is a 400', async () => {
    await rm(onDisk(`${KB}/c.md`));
    const dry = await sdk(t.client(ALICE)).reindex(KB, { mode: 'prune_orphans', dryRun: true }).expect(200);
    expect(resultOf(dry)).toMatchObject({ orphans: 1, orphan_records: [`${KB}/c.md`], orphans_removed: 0 });
    expect(await searchUris(t.client(ALICE), { query: 'gamma', target_uri: KB, mode: 'fulltext' })).toEqual([
      `${KB}/c.md`,
    ]);
    const pruned = await sdk(t.client(ALICE)).reindex(KB, { mode: 'prune_orphans' }).expect(200);
    expect(resultOf(pruned)).toMatchObject({ orphans: 1, orphans_removed: 1, reindexed: 0 });
    expect(await searchUris(t.client(ALICE), { query: 'gamma', target_uri: KB, mode: 'fulltext' })).toEqual(
      [],
    );
    await sdk(t.client(ALICE)).reindex(KB, { dryRun: true }).expect(400);
  });

  test('tags sent with a reindex are set on the subtree', async () => {
    await sdk(t.client(ALICE))
      .reindex(KB, { tags: ['kb=yes'] })
      .expect(200);
    const attrs = await sdk(t.client(ALICE)).attrs(`${KB}/b.md`).expect(200);
    expect(at(attrs, 'attrs', 'tags')).toEqual(['kb=yes']);
    expect(await searchUris(t.client(ALICE), { query: 'quetzal', tags: ['kb=yes'] })).toEqual([`${KB}/b.md`]);
  });

  test('isolation: another user may not reindex what it may not write', async () => {
    await sdk(t.client(BOB)).reindex('viking://user/alice/memories').expect(403);
  });
});

describe('large subtrees run as a task', () => {
  test('a check of more than 1000 files answers a task id that only its caller sees', async () => {
    const big = 'viking://resources/big';
    for (let i = 0; i < 1001; i++) await writeBehind(`${big}/f${i}.md`, `file number ${i}`);
    const res = await sdk(t.client(ALICE)).checkConsistency(big).expect(200);
    const { task_id } = z.object({ task_id: z.string(), status: z.literal('accepted') }).parse(resultOf(res));
    await t.client(BOB).get(`/api/v1/tasks/${task_id}`).expect(404);
    let task: { status: string; result: unknown } = { status: 'running', result: null };
    for (let i = 0; i < 300 && task.status === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      task = resultOf(await t.client(ALICE).get(`/api/v1/tasks/${task_id}`).expect(200)) as typeof task;
    }
    expect(task.status).toBe('completed');
    expect(task.result).toMatchObject({
      files_checked: 1001,
      counts: { missing: 1001 },
      fixed: { queued: 1001 },
    });
  }, 60_000);
});
