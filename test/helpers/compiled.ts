/**
 * Builds the sources (src and scripts) into a private folder so a child process can run the
 * compiled scripts exactly like `npm run …` does, without touching the repository's dist/.
 *
 * One build per jest run: the global setup (test/setup/build-dir.mjs) names an empty folder in
 * `VS_TEST_BUILD_DIR`; the first suite that needs the build compiles into it while holding a lock
 * directory, the others wait for its `ready` marker and reuse it, and the global teardown removes
 * it. Run outside that setup (one file with a custom config), a suite builds into its own folder.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './temp-dir.js';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

const WAIT_STEP_MS = 200;
const WAIT_LIMIT_MS = 5 * 60_000;

export interface Build {
  readonly path: string;
  /** Removes a suite's own build; a no-op for the run's shared build (the teardown removes it). */
  readonly remove: () => void;
}

/** The compiled project, built at most once per jest run. */
export function buildProject(): Build {
  const shared = process.env.VS_TEST_BUILD_DIR;
  if (shared === undefined) {
    const own = tempDir('vs-build-');
    compileInto(own.path);
    return own;
  }
  const ready = join(shared, 'ready');
  try {
    mkdirSync(join(shared, 'lock'), { recursive: false });
  } catch {
    waitFor(ready);
    return { path: join(shared, 'out'), remove: () => undefined };
  }
  try {
    compileInto(join(shared, 'out'));
    writeFileSync(ready, '');
  } catch (error) {
    rmSync(join(shared, 'lock'), { recursive: true, force: true });
    throw error;
  }
  return { path: join(shared, 'out'), remove: () => undefined };
}

function compileInto(out: string): void {
  execFileSync(
    process.execPath,
    [
      join(REPO_ROOT, 'node_modules/typescript/bin/tsc'),
      '-p',
      join(REPO_ROOT, 'scripts', 'tsconfig.build.json'),
      '--outDir',
      out,
    ],
    { cwd: REPO_ROOT },
  );
  writeFileSync(join(out, 'package.json'), '{"type":"module"}');
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(out, 'node_modules'), 'dir');
}

/** Blocks until another worker's build is ready (it holds the lock while compiling). */
function waitFor(ready: string): void {
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + WAIT_LIMIT_MS;
  while (!existsSync(ready)) {
    if (Date.now() > deadline) throw new Error(`the shared test build did not finish: ${ready}`);
    Atomics.wait(sleeper, 0, 0, WAIT_STEP_MS);
  }
}
