// `npm start`: builds the TypeScript sources when dist/ is missing or older than src/, then runs the
// server as a child process with the glibc malloc settings of src/allocator.ts (glibc reads them only
// at process start). Signals are passed on; the exit code is the server's; if this process is killed
// outright (npm stopped, SIGKILL) the server sees its IPC channel close and shuts down.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import { clearInterval, setInterval } from 'node:timers';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const entry = join(root, 'dist', 'src', 'main.js');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

if (!existsSync(entry) || statSync(entry).mtimeMs < newestMtime(join(root, 'src'))) {
  process.stdout.write('building…\n');
  execFileSync(
    process.execPath,
    [
      join(root, 'node_modules', 'typescript', 'bin', 'tsc'),
      '-p',
      join(root, 'scripts', 'tsconfig.build.json'),
    ],
    {
      stdio: 'inherit',
    },
  );
}
if (!existsSync(entry)) {
  process.stdout.write('server not built yet: src/main.ts does not exist\n');
  process.exit(0);
}
const { withAllocatorEnv } = await import(pathToFileURL(join(root, 'dist', 'src', 'allocator.js')).href);
// The IPC channel is the server's lifeline: it closes when this process dies, however it dies.
const server = spawn(process.execPath, [...process.execArgv, entry, ...process.argv.slice(2)], {
  stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
  env: withAllocatorEnv(process.env),
});
// The server shuts down on its first SIGINT/SIGTERM (a terminal's Ctrl-C reaches both processes).
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => server.kill(signal));
server.on('error', (error) => {
  process.stderr.write(`could not start the server: ${error.message}\n`);
  process.exit(1);
});
// npm does not pass a SIGTERM of its own on: a killed `npm start` leaves this process orphaned (its
// parent changes), and then the server is stopped as if this process had got the SIGTERM.
const parent = process.ppid;
const orphaned = setInterval(() => {
  if (process.ppid === parent) return;
  clearInterval(orphaned);
  server.kill('SIGTERM');
}, 500);
orphaned.unref();
server.on('exit', (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] ?? 0)));
