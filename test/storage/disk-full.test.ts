/**
 * Issue 14, item 2: a full disk. ENOSPC is injected below DATA_DIR (mockFsFaults: no root, no tmpfs)
 * and as LanceDB's "(os error 28)" into the index store. Writes answer 507 INSUFFICIENT_STORAGE naming
 * the cause, nothing is half-written and no temporary file is left, index jobs are paused (never
 * dropped) and everything acknowledged is indexed once space is freed — also across a restart.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { z } from 'zod';
import { mockFsFaults } from '../helpers/fs-faults.js';
import { tempDir } from '../helpers/temp-dir.js';

const faults = mockFsFaults();
const { writeFileAtomic } = await import('../../src/storage/atomic.js');
const { fullApp, searchUris } = await import('../helpers/full-app.js');
type FullApp = Awaited<ReturnType<typeof fullApp>>;

afterEach(() => faults.clear());

const errorOf = (res: { body: unknown }) =>
  z
    .object({
      error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()) }),
    })
    .parse(res.body).error;
const resultOf = (res: { body: unknown }) =>
  z.object({ result: z.record(z.string(), z.unknown()) }).parse(res.body).result;

/** Temporary files anywhere below `dir`. */
function litter(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((p) =>
    basename(p).startsWith('.vs-tmp-'),
  );
}

const ACME = [{ account_id: 'acme', users: ['alice'] }];
const alice = (t: FullApp) => t.client({ account: 'acme', user: 'alice' });

async function until(what: string, check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const pausedOf = async (t: FullApp) => (await t.services.pipeline.status()).indexing_paused;

test.each(['ENOSPC', 'EROFS'] as const)(
  'an atomic write failing with %s keeps the old content and leaves no temporary file',
  async (errno) => {
    const dir = tempDir('vs-atomic-');
    try {
      const path = join(dir.path, 'f.txt');
      await writeFileAtomic(path, 'old');
      faults.inject(errno, dir.path);
      await expect(writeFileAtomic(path, 'new content')).rejects.toMatchObject({ code: errno });
      expect(faults.hits).toBeGreaterThan(0);
      expect(readFileSync(path, 'utf8')).toBe('old');
      expect(litter(dir.path)).toEqual([]);
    } finally {
      dir.remove();
    }
  },
);

test('disk full: writes are 507 naming the cause, nothing is half-written, all works again once space is freed', async () => {
  const t = await fullApp({ accounts: ACME });
  try {
    const me = alice(t);
    await me
      .post('/api/v1/content/write')
      .send({ uri: 'viking://resources/a.md', content: 'before', wait: true })
      .expect(200);
    await me.post('/api/v1/sessions/s1/messages').send({ role: 'user', content: 'first' }).expect(200);
    const log = join(t.dataDir, 'fs/acme/session/s1/messages.jsonl');
    const logBefore = readFileSync(log, 'utf8');

    faults.inject('ENOSPC', t.dataDir);
    const refused = [
      await me
        .post('/api/v1/content/write')
        .send({ uri: 'viking://resources/b.md', content: 'fresh '.repeat(99) }),
      await me.post('/api/v1/content/write').send({ uri: 'viking://resources/a.md', content: 'after' }),
      await me.post('/api/v1/sessions/s1/messages').send({ role: 'user', content: 'second '.repeat(50) }),
      await me.post('/api/v1/fs/mkdir').send({ uri: 'viking://resources/new-folder' }),
    ];
    for (const res of refused) {
      expect(res.status).toBe(507);
      expect(errorOf(res)).toMatchObject({
        code: 'INSUFFICIENT_STORAGE',
        message: expect.stringMatching(/disk is full \(ENOSPC\)/) as string,
        details: { reason: 'disk_full', errno: 'ENOSPC' },
      });
    }
    const ready = await request(t.app).get('/ready').expect(503);
    expect(errorOf(ready).details).toMatchObject({ checks: { storage: 'disk_full' } });
    // Reads still work; nothing was half-written or left behind.
    const read = await me.get('/api/v1/content/read').query({ uri: 'viking://resources/a.md' }).expect(200);
    expect(read.body).toMatchObject({ result: 'before' });
    expect(readFileSync(log, 'utf8')).toBe(logBefore);
    expect(litter(t.dataDir)).toEqual([]);

    faults.clear();
    await me
      .post('/api/v1/content/write')
      .send({ uri: 'viking://resources/b.md', content: 'fresh', wait: true })
      .expect(200);
    const again = await me
      .post('/api/v1/sessions/s1/messages')
      .send({ role: 'user', content: 'second' })
      .expect(200);
    expect(resultOf(again)).toMatchObject({ message_count: 2 });
    await request(t.app).get('/ready').expect(200);
    expect(await searchUris(me, { query: 'fresh', mode: 'fulltext' })).toEqual(['viking://resources/b.md']);
  } finally {
    await t.close();
  }
});

test('a journal append cut short by a full disk is cut off again: the next job is not glued onto it', async () => {
  const t = await fullApp({ accounts: ACME });
  try {
    const me = alice(t);
    faults.inject('ENOSPC', join(t.dataDir, 'index', 'queue.jsonl'));
    const res = await me
      .post('/api/v1/content/write')
      .send({ uri: 'viking://resources/c.md', content: 'cee' });
    expect(res.status).toBe(507);
    faults.clear();
    await me
      .post('/api/v1/content/write')
      .send({ uri: 'viking://resources/d.md', content: 'dee' })
      .expect(200);
    const lines = readFileSync(join(t.dataDir, 'index', 'queue.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean);
    // Every line is a whole job: a restart replays all of them.
    expect(lines.map((line) => (JSON.parse(line) as { job: { uri?: string } }).job.uri)).toContain(
      'viking://resources/d.md',
    );
  } finally {
    await t.close();
  }
});

test('index jobs are paused, not dropped, while the index disk is full; a wait keeps its deadline', async () => {
  // A high lag bound: the paused job must not turn the later write into a 429.
  const t = await fullApp({ accounts: ACME, env: { MAX_INDEX_LAG_S: '3600' } });
  try {
    const me = alice(t);
    let full = true;
    const upsert = t.services.store.upsert.bind(t.services.store);
    Object.assign(t.services.store, {
      upsert: async (...args: Parameters<typeof upsert>) => {
        if (full) throw new Error('lance error: IO: No space left on device (os error 28)');
        return upsert(...args);
      },
    });
    await me
      .post('/api/v1/content/write')
      .send({ uri: 'viking://resources/e.md', content: 'stalled' })
      .expect(200);
    // More tries than a job's attempts: a dropping indexer would have given up by now.
    await until('several paused tries', async () => ((await pausedOf(t))?.retries ?? 0) >= 4);
    const status = resultOf(await t.root().get('/api/v1/system/status').expect(200));
    expect(status).toMatchObject({
      failed_jobs: 0,
      indexing_paused: {
        reason: 'disk_full',
        errno: 'ENOSPC',
        message: expect.stringMatching(/disk is full/) as string,
      },
    });
    expect(status['queue_depth']).toBeGreaterThan(0);
    const ready = await request(t.app).get('/ready').expect(503);
    expect(errorOf(ready).details).toMatchObject({ checks: { indexer: 'paused', storage: 'ok' } });
    const metrics = await t.root().get('/metrics').expect(200);
    expect(metrics.text).toMatch(/^vikingscope_indexing_paused 1$/m);
    const waited = await me
      .post('/api/v1/content/write')
      .send({ uri: 'viking://resources/w.md', content: 'waiting', wait: true, timeout: 0.5 });
    expect(waited.status).toBe(504);

    full = false;
    await t.root().post('/api/v1/system/wait').send({ timeout: 60 }).expect(200);
    expect(await pausedOf(t)).toBeNull();
    expect(await searchUris(me, { query: 'stalled', mode: 'fulltext' })).toEqual(['viking://resources/e.md']);
    expect(resultOf(await t.root().get('/api/v1/system/status'))).toMatchObject({
      failed_jobs: 0,
      queue_depth: 0,
    });
    await request(t.app).get('/ready').expect(200);
  } finally {
    await t.close();
  }
});

test('an acknowledgement that cannot be written pauses the queue; after a restart with space it drains', async () => {
  const t = await fullApp({ accounts: ACME });
  let restarted: FullApp | undefined;
  try {
    faults.inject('ENOSPC', join(t.dataDir, 'index', '.vs-tmp-queue.ack'));
    await alice(t)
      .post('/api/v1/content/write')
      .send({ uri: 'viking://resources/f.md', content: 'acked later' })
      .expect(200);
    await until('the paused acknowledgement', async () => (await pausedOf(t)) !== null);
    expect(litter(join(t.dataDir, 'index'))).toEqual([]);
    // Stopping does not wait for the disk.
    await t.close({ keepData: true });

    faults.clear();
    restarted = await fullApp({ dataDir: t.dataDir });
    const me = restarted.client({ account: 'acme', user: 'alice', root: true });
    await restarted.root().post('/api/v1/system/wait').send({ timeout: 60 }).expect(200);
    expect(resultOf(await restarted.root().get('/api/v1/system/status'))).toMatchObject({
      queue_depth: 0,
      failed_jobs: 0,
      indexing_paused: null,
    });
    expect(await searchUris(me, { query: 'acked', mode: 'fulltext' })).toEqual(['viking://resources/f.md']);
  } finally {
    await (restarted ?? t).close();
  }
});
