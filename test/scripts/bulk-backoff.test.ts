/**
 * The bulk import slows down instead of failing when the indexer refuses writes (SPEC 9.3): a document
 * refused with RESOURCE_EXHAUSTED is written again after `details.retry_after_s`, and counts as
 * written, not failed.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Checkpoint } from '../../scripts/bulk/checkpoint.js';
import { importDocuments } from '../../scripts/bulk/run.js';
import { folderSource } from '../../scripts/bulk/source.js';
import { AppError } from '../../src/errors.js';
import { Vfs } from '../../src/fs/vfs.js';
import { pathOfUri } from '../../src/storage/paths.js';
import { ctxOf, recordingHooks } from '../helpers/vfs.js';
import { tempDir } from '../helpers/temp-dir.js';

const work = tempDir('vs-bulk-backoff-');
afterAll(() => work.remove());

test('documents refused with RESOURCE_EXHAUSTED are retried after the indicated delay, not failed', async () => {
  const docs = join(work.path, 'docs');
  await mkdir(docs, { recursive: true });
  for (const name of ['a.md', 'b.md', 'c.md']) await writeFile(join(docs, name), `text of ${name}`);
  const dataDir = join(work.path, 'store');
  const hooks = recordingHooks();
  let refusals = 3;
  const vfs = new Vfs({
    dataDir,
    maxFileBytes: 1024,
    hooks: {
      ...hooks,
      admit: (account_id) => {
        if (refusals-- > 0)
          throw new AppError('RESOURCE_EXHAUSTED', 'behind', { account_id, retry_after_s: 0.01 });
      },
    },
  });
  const ctx = ctxOf('user', 'alice');
  await vfs.initAccount('acme');
  await vfs.ensureIdentity(ctx);
  const target = 'viking://resources/imported';
  const tally = await importDocuments({
    vfs,
    ctx,
    source: await folderSource(docs, target, 1024),
    checkpoint: await Checkpoint.open(
      dataDir,
      { source: docs, target, identity: ctx.effective, role: 'user' },
      10,
      true,
    ),
    concurrency: 2,
    stopRequested: () => false,
  });
  expect(tally).toMatchObject({ written: 3, throttled: 3, failed: [], interrupted: false });
  for (const name of ['a.md', 'b.md', 'c.md']) {
    const path = pathOfUri(dataDir, 'acme', `${target}/${name}`);
    expect(await readFile(path, 'utf8')).toBe(`text of ${name}`);
  }
  expect(hooks.calls.filter(([hook]) => hook === 'fileWritten')).toHaveLength(3);
});
