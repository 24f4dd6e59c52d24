/**
 * The transpile cache of test/helpers/ts-hooks.mjs (children started with ts-register): a second
 * child reuses the first one's output, and an edited source is transpiled again, never served stale.
 */
import { execFile } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../helpers/compiled.js';
import { tempDir } from '../helpers/temp-dir.js';

const run = promisify(execFile);
const work = tempDir('vs-ts-hooks-');
afterAll(() => work.remove());

async function runTs(file: string, buildDir: string): Promise<string> {
  const { stdout } = await run(process.execPath, ['--import', './test/helpers/ts-register.mjs', file], {
    cwd: REPO_ROOT,
    env: { ...process.env, NODE_OPTIONS: '', VS_TEST_BUILD_DIR: buildDir },
  });
  return stdout.trim();
}

/** The cached outputs' paths. */
function cached(buildDir: string): string[] {
  const [folder] = readdirSync(buildDir).filter((name) => name.startsWith('vs-ts-cache-'));
  if (folder === undefined) return [];
  const dir = join(buildDir, folder);
  return readdirSync(dir)
    .filter((name) => name.endsWith('.js'))
    .map((name) => join(dir, name));
}

test('a child reuses the cached output; an edited file is transpiled again', async () => {
  const file = join(work.path, 'hello.ts');
  const buildDir = join(work.path, 'build');
  writeFileSync(file, "const word: string = 'first';\nconsole.log(word);\n");
  expect(await runTs(file, buildDir)).toBe('first');
  const [output] = cached(buildDir);
  if (output === undefined) throw new Error('nothing cached');
  // What the second child runs is the cached output (marked here), not a new transpilation.
  writeFileSync(output, "console.log('from the cache');\n");
  expect(await runTs(file, buildDir)).toBe('from the cache');
  expect(cached(buildDir)).toHaveLength(1);

  writeFileSync(file, "const word: string = 'second';\nconsole.log(word);\n");
  expect(await runTs(file, buildDir)).toBe('second');
  expect(cached(buildDir)).toHaveLength(2);
});
