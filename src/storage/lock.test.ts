import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lockDataDir } from './lock.js';

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
