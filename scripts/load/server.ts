/**
 * The server under load: `node dist/src/main.js` started as a child process on a free loopback port
 * with its own temporary DATA_DIR and root key, so its memory can be read from outside
 * (`/proc/<pid>/status` VmRSS) and nothing of the load script's own heap is counted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { withAllocatorEnv } from '../../src/allocator.js';

export interface LoadServer {
  readonly pid: number;
  readonly base: string;
  readonly rootKey: string;
  readonly dataDir: string;
  /** Where the server's stdout and stderr go. */
  readonly logFile: string;
  /** Resident set size in MiB, from /proc. */
  rssMb(): Promise<number>;
  /** CPU time (user + system) the server has used so far, in seconds, from /proc. */
  cpuS(): Promise<number>;
  /** SIGTERM, then SIGKILL after 20 s; removes the DATA_DIR unless `keepData`. */
  stop(keepData: boolean): Promise<void>;
}

const MAIN = fileURLToPath(new URL('../../src/main.js', import.meta.url));
const REPO = fileURLToPath(new URL('../../..', import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

export async function rssMbOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
  if (kb === undefined) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kb) / 1024;
}

/** Assumes the usual 100 clock ticks per second (`getconf CLK_TCK`). */
export async function cpuSOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at field 3; utime and stime are 14, 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function untilHealthy(base: string, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      const log = await readFile(logFile, 'utf8').catch(() => '');
      throw new Error(`the server exited with code ${child.exitCode}:\n${log.slice(-2000)}`);
    }
    const ok = await fetch(`${base}/health`).then(
      (res) => res.ok,
      () => false,
    );
    if (ok) return;
    await sleep(100);
  }
  throw new Error('the server did not become healthy within 120 s');
}

/**
 * Starts the built server; `env` is added to (and wins over) this process's environment, `nodeArgs`
 * go to node before the script (flags NODE_OPTIONS refuses, such as `--cpu-prof`).
 */
export async function startServer(
  env: Readonly<Record<string, string>>,
  nodeArgs: readonly string[] = [],
): Promise<LoadServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'vs-load-'));
  const rootKey = randomBytes(24).toString('hex');
  const port = await freePort();
  const logFile = join(tmpdir(), `${dataDir.split('/').pop() ?? 'vs-load'}.log`);
  const log = createWriteStream(logFile);
  const child = spawn(process.execPath, [...nodeArgs, MAIN], {
    cwd: REPO,
    // As `npm start` starts it: with the allocator settings of src/allocator.ts.
    env: withAllocatorEnv({
      ...process.env,
      LOG_LEVEL: 'warn',
      EMBEDDER: process.env['EMBEDDER'] ?? 'builtin',
      ...env,
      DATA_DIR: dataDir,
      ROOT_API_KEY: rootKey,
      HOST: '127.0.0.1',
      PORT: String(port),
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const base = `http://127.0.0.1:${port}`;
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start the server');
  try {
    await untilHealthy(base, child, logFile);
  } catch (error) {
    child.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    pid,
    base,
    rootKey,
    dataDir,
    logFile,
    rssMb: () => rssMbOf(pid),
    cpuS: () => cpuSOf(pid),
    async stop(keepData) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited(child);
      clearTimeout(timer);
      if (!keepData) await rm(dataDir, { recursive: true, force: true });
      if (!keepData) await rm(logFile, { force: true });
    },
  };
}
