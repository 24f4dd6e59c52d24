/**
 * Issue 28: `npm run bulk-index` of a folder takes what add_resource and pack import take (the shared
 * rule of src/resources/import-rule.ts): a `.env` beside the documents, a `.git/` folder and
 * dependency folders are not written, and each is reported as a skipped document of the run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { folderSource, type Outcome } from '../../scripts/bulk/source.js';
import { tempDir } from '../helpers/temp-dir.js';

const work = tempDir('vs-bulk-hidden-');
afterAll(() => work.remove());

test('hidden files and folders and dependency folders are skipped and listed, never loaded', async () => {
  const root = join(work.path, 'docs');
  mkdirSync(join(root, '.git'), { recursive: true });
  mkdirSync(join(root, 'app', 'node_modules', 'left-pad'), { recursive: true });
  writeFileSync(join(root, 'a.md'), 'alpha');
  writeFileSync(join(root, '.env'), 'API_TOKEN=s3cret');
  writeFileSync(join(root, '.git', 'config'), '[core]');
  writeFileSync(join(root, 'app', 'b.md'), 'beta');
  writeFileSync(join(root, 'app', 'node_modules', 'left-pad', 'README.md'), 'pad');

  const source = await folderSource(root, 'viking://resources/imported', 1024);
  const seen: { key: string; uri: string; outcome: Outcome }[] = [];
  for await (const doc of source.docs()) seen.push({ key: doc.key, uri: doc.uri, outcome: await doc.load() });

  expect(source.total).toBe(seen.length);
  const written = seen.filter((d) => d.outcome.kind === 'text').map((d) => d.key);
  expect(written).toEqual(['a.md', 'app/b.md']);
  const skipped = seen.filter((d) => d.outcome.kind === 'skipped');
  expect(skipped.map((d) => [d.key, d.outcome])).toEqual([
    ['.env', { kind: 'skipped', reason: 'hidden', message: 'skipped .env: hidden file, never imported' }],
    ['.git/', { kind: 'skipped', reason: 'hidden', message: 'skipped .git/: hidden folder, never imported' }],
    [
      'app/node_modules/',
      {
        kind: 'skipped',
        reason: 'ignored_folder',
        message: 'skipped app/node_modules/: folder of dependencies or tool metadata, never imported',
      },
    ],
  ]);
  expect(JSON.stringify(seen)).not.toContain('s3cret');
});
