/**
 * `npm start` (scripts/start.mjs): runs the compiled server as its child with the glibc allocator
 * settings of src/allocator.ts (an operator's own value wins), passes SIGTERM on, and exits with the
 * server's code once the server has shut down.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { copyFileSync, mkdirSync, symlinkSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { ALLOCATOR_ENV } from '../../src/allocator.js';
import { lockDataDir } from '../../src/storage/lock.js';
import { buildProject, REPO_ROOT, type Build } from '../helpers/compiled.js';
import { tempDir } from '../helpers/temp-dir.js';

const ROOT_KEY = 'start-test-root-key-0123456789abcdef';
const work = tempDir('vs-start-');
let build: Build;

beforeAll(() => {
  build = buildProject();
}, 120_000);
afterAll(() => {
  work.remove();
  build.remove();
});

/** A project root holding start.mjs and the compiled build as its dist/ (older src/: no rebuild). */
function launcherRoot(name = 'project'): string {
  const root = join(work.path, name);
  mkdirSync(join(root, 'scripts'), { recursive: true });
  mkdirSync(join(root, 'src'));
  utimesSync(join(root, 'src'), new Date(0), new Date(0));
  copyFileSync(join(REPO_ROOT, 'scripts', 'start.mjs'), join(root, 'scripts', 'start.mjs'));
  symlinkSync(build.path, join(root, 'dist'), 'dir');
  return root;
}

test('npm start runs the server with the allocator settings, passes SIGTERM on and exits with its code', async () => {
  const root = launcherRoot();
  const dataDir = join(work.path, 'data');
  const child = spawn(process.execPath, [join(root, 'scripts', 'start.mjs')], {
    env: {
      PATH: process.env['PATH'] ?? '',
      DATA_DIR: dataDir,
      ROOT_API_KEY: ROOT_KEY,
      EMBEDDER: 'builtin',
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'warn',
      MALLOC_TRIM_THRESHOLD_: '4194304',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so a failed test can stop the launcher and the server together.
    detached: true,
  });
  try {
    await startAndStop(child, dataDir);
  } finally {
    if (child.exitCode === null && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
  }
}, 90_000);

async function startAndStop(child: ChildProcessByStdio<null, Readable, Readable>, dataDir: string) {
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 60_000;
  let base: string | undefined;
  while (base === undefined && Date.now() < deadline) {
    base = /listening on (http:\/\/\S+)/.exec(output)?.[1];
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (base === undefined) throw new Error(`the server did not start:\n${output}`);
  // Issue 28: the start-up lines say where the console and the API reference are.
  while (!output.includes('API reference:') && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(output).toContain(`web console: ${base}/console/\nAPI reference: ${base}/docs\n`);

  const response = await fetch(`${base}/api/v1/system/status`, { headers: { 'x-api-key': ROOT_KEY } });
  expect(response.status).toBe(200);
  const body = (await response.json()) as {
    result: { process_memory: { allocator: Record<string, string | null> } };
  };
  expect(body.result.process_memory.allocator).toEqual({
    MALLOC_ARENA_MAX: ALLOCATOR_ENV['MALLOC_ARENA_MAX'],
    MALLOC_MMAP_THRESHOLD_: ALLOCATOR_ENV['MALLOC_MMAP_THRESHOLD_'],
    MALLOC_TRIM_THRESHOLD_: '4194304',
  });

  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  // The server itself has exited too: its DATA_DIR lock can be taken.
  const unlock = await lockDataDir(dataDir);
  await unlock();
}

const SERVER_ENV = (dataDir: string) => ({
  PATH: process.env['PATH'] ?? '',
  DATA_DIR: dataDir,
  ROOT_API_KEY: ROOT_KEY,
  EMBEDDER: 'builtin',
  HOST: '127.0.0.1',
  PORT: '0',
  LOG_LEVEL: 'warn',
});

/** Runs node with `args` in its own process group until the server listens, kills that process
 * outright and waits until the server has let go of its port and its DATA_DIR lock. */
async function killedAndGone(args: string[], dataDir: string) {
  const child = spawn(process.execPath, args, {
    env: SERVER_ENV(dataDir),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  try {
    const deadline = Date.now() + 60_000;
    let base: string | undefined;
    while (base === undefined && Date.now() < deadline) {
      base = /listening on (http:\/\/\S+)/.exec(output)?.[1];
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (base === undefined || child.pid === undefined)
      throw new Error(`the server did not start:\n${output}`);
    process.kill(child.pid, 'SIGKILL');
    // The server lets go of its port and its lock once it has shut down.
    let down = false;
    while (!down && Date.now() < deadline) {
      down = await fetch(`${base}/health`).then(
        () => false,
        () => true,
      );
      if (!down) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(down).toBe(true);
    // ...and its DATA_DIR lock once its shutdown (after the port) has finished.
    let unlock: (() => Promise<void>) | null = null;
    while (unlock === null) {
      try {
        unlock = await lockDataDir(dataDir);
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    await unlock();
  } finally {
    if (child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
}

// Issue 28: killing the launcher itself (npm's child, or `kill -9` of it) must not leave the server
// running with the port and the DATA_DIR lock: the server's IPC lifeline closes and it shuts down.
test('a launcher killed outright takes the server down with it', async () => {
  const root = launcherRoot('project-killed');
  await killedAndGone([join(root, 'scripts', 'start.mjs')], join(work.path, 'data-killed'));
}, 90_000);

// Issue 28: killing `npm start` (the launcher's parent) left launcher and server running, as npm does
// not pass its own SIGTERM on: the orphaned launcher stops the server.
const PARENT = `require('node:child_process').spawn(process.execPath, [process.argv[1]], { stdio: 'inherit' });
setInterval(() => {}, 1 << 30);`;

test('a launcher whose parent (npm) is killed stops the server', async () => {
  const root = launcherRoot('project-orphaned');
  const args = ['-e', PARENT, join(root, 'scripts', 'start.mjs')];
  await killedAndGone(args, join(work.path, 'data-orphaned'));
}, 90_000);
