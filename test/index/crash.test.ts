/**
 * Durability: a process that accepted index jobs is killed (SIGKILL) with jobs still queued; a new
 * pipeline on the same DATA_DIR replays them and the index converges to the filesystem.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IndexFixture } from '../helpers/index-fixture.js';
import { tempDir } from '../helpers/temp-dir.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const build = tempDir('vs-crash-build-');
const COUNT = 12;

beforeAll(() => {
  // The child runs compiled JavaScript: build the sources into a private folder that resolves our
  // node_modules and is an ES module scope.
  execFileSync(
    process.execPath,
    [
      join(root, 'node_modules/typescript/bin/tsc'),
      '-p',
      join(root, 'scripts', 'tsconfig.build.json'),
      '--outDir',
      build.path,
    ],
    { cwd: root },
  );
  writeFileSync(join(build.path, 'package.json'), '{"type":"module"}');
  symlinkSync(join(root, 'node_modules'), join(build.path, 'node_modules'), 'dir');
}, 60_000);

afterAll(() => build.remove());

function runChildUntilEnqueued(dataDir: string, lanceUri: string): Promise<void> {
  const child = spawn(
    process.execPath,
    [join(root, 'test/index/crash-child.mjs'), build.path, dataDir, lanceUri, String(COUNT)],
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
