import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { lockDataDir } from './lock.js';

const CHILD = ['--import', './test/helpers/ts-register.mjs', 'test/helpers/lock-child.ts'];

/** A contender in its own process (test/helpers/lock-child.ts); `output` is what it printed so far. */
function contender(args: string[]) {
  const child = spawn(process.execPath, [...CHILD, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return { child, exited, output: () => output.trim() };
}

async function until(what: string, ok: () => boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

test('a second lock on the same DATA_DIR is refused until the first is released', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vs-lock-'));
  const release = await lockDataDir(dir);
  const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 10000)']);
  try {
    await writeFile(join(dir, '.vikingscope.lock'), String(other.pid));
    await expect(lockDataDir(dir)).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
  } finally {
    other.kill('SIGKILL');
  }
  await new Promise((resolve) => other.once('exit', resolve));
  // The holder is dead now: its stale lock is taken over.
  const again = await lockDataDir(dir);
  expect(await readFile(join(dir, '.vikingscope.lock'), 'utf8')).toBe(String(process.pid));
  await again();
  await release();
});

// Issue 27: the old lock created the file and wrote the pid in two steps; a second process reading
// it in between saw no pid, took it for a dead holder's lock, deleted it and locked too.
test('a lock file still being created by another process is not taken for a stale one', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vs-lock-'));
  const other = contender(['mid-create', dir, '20000']);
  try {
    await until('the contender', () => other.output() === 'ready');
    await expect(lockDataDir(dir)).rejects.toMatchObject({
      code: 'FAILED_PRECONDITION',
      message: `DATA_DIR ${dir} is in use by process ${other.child.pid}`,
    });
  } finally {
    other.child.kill('SIGKILL');
    await other.exited;
  }
}, 60_000);
