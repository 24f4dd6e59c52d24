/**
 * Durability: a process that accepted index jobs is killed (SIGKILL) with jobs still queued; a new
 * pipeline on the same DATA_DIR replays them and the index converges to the filesystem.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildProject, REPO_ROOT } from '../helpers/compiled.js';
import { IndexFixture } from '../helpers/index-fixture.js';
import { tempDir } from '../helpers/temp-dir.js';

const COUNT = 12;
// The child runs compiled JavaScript, built into a private folder.
let build: { path: string; remove: () => void };

beforeAll(() => {
  build = buildProject();
}, 60_000);

afterAll(() => build.remove());

function runChildUntilEnqueued(dataDir: string, lanceUri: string): Promise<void> {
  const child = spawn(
    process.execPath,
    [join(REPO_ROOT, 'test/indexing/crash-child.mjs'), build.path, dataDir, lanceUri, String(COUNT)],
    {
      env: { ...process.env, LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('enqueued')) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) =>
      signal === 'SIGKILL' ? resolve() : reject(new Error(`child exited ${code}: ${stderr}`)),
    );
  });
}

function unfinishedJobs(dataDir: string): number {
  const ack = Number(readFileSync(join(dataDir, 'index/queue.ack'), { encoding: 'utf8', flag: 'a+' }) || 0);
  const lines = readFileSync(join(dataDir, 'index/queue.jsonl'), 'utf8').split('\n').filter(Boolean);
  return lines.map((l) => (JSON.parse(l) as { seq: number }).seq).filter((seq) => seq > ack).length;
}

test('jobs accepted before a SIGKILL are done after restart', async () => {
  const dir = tempDir('vs-crash-');
  const probe = new IndexFixture(dir);
  await runChildUntilEnqueued(probe.dataDir, probe.lanceUri);
  expect(unfinishedJobs(probe.dataDir)).toBeGreaterThan(2);

  const f = await new IndexFixture(dir).start();
  await f.pipeline.waitIdle();
  const uris = (await f.rows('acme')).map((r) => r.uri);
  const expected = Array.from({ length: COUNT }, (_, i) => `viking://resources/crash/f${i}.md`)
    .slice(2)
    .sort();
  expect(uris).toEqual(expected);
  expect(unfinishedJobs(f.dataDir)).toBe(0);
  await f.close();
});
