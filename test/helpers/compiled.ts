/**
 * Builds the sources (src and scripts) into a private folder so a child process can run the
 * compiled scripts exactly like `npm run …` does, without touching the repository's dist/.
 */
import { execFileSync } from 'node:child_process';
import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './temp-dir.js';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Compiles the project into a temporary folder that resolves our node_modules as an ES module scope. */
export function buildProject(): { path: string; remove: () => void } {
  const build = tempDir('vs-build-');
  execFileSync(
    process.execPath,
    [
      join(REPO_ROOT, 'node_modules/typescript/bin/tsc'),
      '-p',
      join(REPO_ROOT, 'scripts', 'tsconfig.build.json'),
      '--outDir',
      build.path,
    ],
    { cwd: REPO_ROOT },
  );
  writeFileSync(join(build.path, 'package.json'), '{"type":"module"}');
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(build.path, 'node_modules'), 'dir');
  return build;
}
