// `npm run backup|restore|reindex|bulk-index -- …`: runs the compiled script, building dist/ first
// only when a source under src/ or scripts/ is newer than the build (a full tsc run takes ~15 s, and
// the scripts used to pay it on every call). Says so when it builds; arguments and the exit code
// pass through.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const [name, ...args] = process.argv.slice(2);
if (name === undefined || !/^[a-z-]+$/.test(name)) {
  process.stderr.write('usage: node scripts/run-built.mjs SCRIPT [args…]\n');
  process.exit(2);
}
const entry = join(root, 'dist', 'scripts', `${name}.js`);

function newestMtime(dir) {
  let newest = 0;
  for (const item of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, item.name);
    newest = Math.max(newest, item.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

const sources = Math.max(newestMtime(join(root, 'src')), newestMtime(join(root, 'scripts')));
if (!existsSync(entry) || statSync(entry).mtimeMs < sources) {
  process.stderr.write('building dist/ (sources changed since the last build)…\n');
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '-p', join(root, 'scripts', 'tsconfig.build.json')], {
    stdio: 'inherit',
  });
}
const child = spawn(process.execPath, [entry, ...args], { stdio: 'inherit' });
// A signal to this wrapper (npm's child) is passed on, so an interrupted script checkpoints and exits.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] ?? 0)));
