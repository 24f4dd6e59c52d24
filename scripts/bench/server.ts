/**
 * The server-alone phase: the real server started as its own process on the benchmark's data, the
 * way `npm start` starts it (API-key mode, root key, builtin embedder, a free loopback port), timed
 * from spawn until `/ready` answers 200 and the in-memory mirror has finished loading (system
 * status, `search_memory.state`), and its memory read from /proc/<pid>/status (VmRSS, VmHWM).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { ALLOCATOR_ENV } from '../../src/allocator.js';
import { round } from './measure.js';

const POLL_MS = 100;
const STOP_TIMEOUT_MS = 30_000;
/** Child output kept for the error message when it dies. */
const TAIL_CHARS = 4_000;

export interface ServerOptions {
  /** The module node runs (the compiled src/main.js, which `npm start` runs). */
  readonly entry: string;
  readonly dataDir: string;
  readonly rootKey: string;
  /** SEARCH_MEMORY_MB for the server, when given. */
  readonly searchMemoryMb?: string | undefined;
  /** SEARCH_THREADS for the server, when given. */
  readonly searchThreads?: string | undefined;
  /** Each line the server prints (its banner, warnings). */
  readonly onLine?: (line: string) => void;
}

export interface RunningServer {
  readonly pid: number;
  readonly base: string;
  /** performance.now() just before the spawn. */
  readonly spawnedAt: number;
  /** Seconds from spawn until the server printed its listening banner. */
  readonly listeningS: number;
  /** SIGTERM, then SIGKILL if it has not exited within the stop timeout; resolves to the exit code. */
  stop(): Promise<number | null>;
  /** How it ended and the last of its output, once it has exited (null while it runs). */
  ended(): string | null;
}

/**
 * The server's environment: only what it needs, so no DATA_DIR, LANCEDB_URI or other setting of
 * the caller's shell can point it at a real store.
 */
export function serverEnv(options: ServerOptions): Record<string, string> {
  // The allocator settings `npm start` gives the server (src/allocator.ts).
  const env: Record<string, string> = {
    ...ALLOCATOR_ENV,
    PATH: process.env['PATH'] ?? '',
    DATA_DIR: options.dataDir,
    ROOT_API_KEY: options.rootKey,
    EMBEDDER: 'builtin',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'warn',
  };
  if (options.searchMemoryMb !== undefined) env['SEARCH_MEMORY_MB'] = options.searchMemoryMb;
  if (options.searchThreads !== undefined) env['SEARCH_THREADS'] = options.searchThreads;
  return env;
}

/** Spawns the server and resolves once it prints `listening on http://…`; rejects if it exits first. */
export function startServer(options: ServerOptions): Promise<RunningServer> {
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [options.entry], {
    env: serverEnv(options),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  let ending: string | null = null;
  // 'close': after the exit and after its output has been read, so the tail is complete.
  const exited = new Promise<number | null>((resolve) =>
    child.once('close', (code, signal) => {
      ending = `code ${code}, signal ${signal}; its last output: ${tail}`;
      resolve(code);
    }),
  );
  return new Promise((resolve, reject) => {
    const onLine = (line: string): void => {
      tail = `${tail}${line}\n`.slice(-TAIL_CHARS);
      if (line.trim() !== '') options.onLine?.(line);
      const base = /listening on (http:\/\/\S+)/.exec(line)?.[1];
      if (base !== undefined && child.pid !== undefined) {
        const listeningS = (performance.now() - spawnedAt) / 1000;
        const ended = (): string | null => ending;
        resolve({ pid: child.pid, base, spawnedAt, listeningS, stop: () => stop(child, exited), ended });
      }
    };
    for (const stream of [child.stdout, child.stderr]) {
      let partial = '';
      stream.on('data', (chunk: Buffer) => {
        const lines = (partial + chunk.toString()).split('\n');
        partial = lines.pop() ?? '';
        lines.forEach(onLine);
      });
      stream.on('end', () => {
        if (partial !== '') onLine(partial);
      });
    }
    child.once('error', reject);
    void exited.then((code) =>
      reject(new Error(`the server exited (code ${code}) before listening: ${tail}`)),
    );
  });
}

async function stop(child: ChildProcess, exited: Promise<number | null>): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  try {
    return await exited;
  } finally {
    clearTimeout(timer);
  }
}

/** What system status says about the in-memory mirror (`search_memory`, ROOT only). */
export interface MirrorStatus {
  readonly state: string;
  readonly records: number;
  readonly memory_mb: number;
  readonly reason?: string;
}

async function getJson(url: string, headers: Record<string, string> = {}): Promise<unknown> {
  const response = await fetch(url, { headers });
  return response.ok ? response.json() : null;
}

function mirrorOf(status: unknown): MirrorStatus | null {
  const memory = (status as { result?: { search_memory?: MirrorStatus } } | null)?.result?.search_memory;
  return memory === undefined || typeof memory.state !== 'string' ? null : memory;
}

/**
 * Polls until `/ready` answers 200 and the mirror is no longer loading (`ready`, or `off` when
 * disabled or over budget); seconds since the spawn, and the mirror's last status.
 */
export async function waitReady(
  server: RunningServer,
  rootKey: string,
  timeoutMs: number,
): Promise<{ startupS: number; mirror: MirrorStatus }> {
  for (;;) {
    const ready = await fetch(`${server.base}/ready`).then(
      (r) => r.ok,
      (error: unknown) => {
        // A server that died says how, rather than the bare "fetch failed" of the refused connection.
        const ended = server.ended();
        throw ended === null ? error : new Error(`the server exited while starting (${ended})`);
      },
    );
    const status = ready
      ? await getJson(`${server.base}/api/v1/system/status`, { 'x-api-key': rootKey })
      : null;
    const mirror = mirrorOf(status);
    const elapsed = performance.now() - server.spawnedAt;
    if (mirror !== null && mirror.state !== 'loading') return { startupS: elapsed / 1000, mirror };
    if (elapsed > timeoutMs) {
      throw new Error(
        `the server was not ready within ${timeoutMs / 1000} s (mirror ${mirror?.state ?? '?'})`,
      );
    }
    await sleep(POLL_MS);
  }
}

export interface ProcMemory {
  /** Resident set size now (VmRSS), MiB. */
  readonly rss_mb: number;
  /** Peak resident set size since the process started (VmHWM), MiB. */
  readonly peak_rss_mb: number;
}

/** VmRSS and VmHWM of a /proc/<pid>/status text, in MiB. */
export function parseProcStatus(text: string): ProcMemory {
  const kb = (field: string): number => {
    const value = new RegExp(`^${field}:\\s*(\\d+)\\s*kB$`, 'm').exec(text)?.[1];
    if (value === undefined) throw new Error(`/proc status has no ${field}`);
    return Number(value);
  };
  return { rss_mb: Math.round(kb('VmRSS') / 1024), peak_rss_mb: Math.round(kb('VmHWM') / 1024) };
}

export async function procMemory(pid: number): Promise<ProcMemory> {
  return parseProcStatus(await readFile(`/proc/${pid}/status`, 'utf8'));
}

export interface ServerStats {
  /** Records the server's mirror holds once ready (0 when the mirror is off). */
  readonly records: number;
  readonly listening_s: number;
  /**
   * Seconds from the listening banner until a write sent then was accepted (2xx), resending every
   * {@link POLL_MS} while refused (429, 503): null when not measured. `first_write_refusals` counts
   * the refusals; `first_write_mirror` is the mirror's state once it was accepted.
   */
  readonly first_write_s: number | null;
  readonly first_write_refusals: number;
  readonly first_write_mirror: string | null;
  /** Seconds from spawn until `/ready` answers 200 and the mirror has finished loading. */
  readonly startup_s: number;
  /** The mirror's state once loaded (`ready`, or `off` with its reason) and its own memory. */
  readonly mirror: string;
  readonly mirror_mb: number;
  /** VmRSS once ready, VmRSS after the query phase, VmHWM after the query phase (MiB). */
  readonly rss_mb: number;
  readonly rss_after_queries_mb: number;
  readonly peak_rss_mb: number;
  /** Latency of the query phase run against this process. */
  readonly http: { readonly p50_ms: number; readonly p99_ms: number; readonly queries: number };
}

/** A start of the server alone again on the same data: its first write, readiness and memory. */
export type Restart = Pick<
  ServerStats,
  'listening_s' | 'first_write_s' | 'first_write_refusals' | 'first_write_mirror' | 'startup_s' | 'rss_mb'
>;

/** A write sent to a server that has just started listening: its HTTP status. */
export type WriteProbe = (base: string) => Promise<number>;

/**
 * Sends `write` until it is accepted (2xx) or `timeoutMs` passes: seconds since the first send, the
 * refusals (429, 503) before it, the mirror's state then. Another status fails the benchmark.
 */
async function firstWrite(
  server: RunningServer,
  rootKey: string,
  write: WriteProbe,
  timeoutMs: number,
): Promise<Pick<ServerStats, 'first_write_s' | 'first_write_refusals' | 'first_write_mirror'>> {
  const started = performance.now();
  for (let refusals = 0; ; refusals++) {
    const status = await write(server.base);
    const elapsed = performance.now() - started;
    if (status >= 200 && status < 300) {
      const mirror = mirrorOf(await getJson(`${server.base}/api/v1/system/status`, { 'x-api-key': rootKey }));
      return {
        first_write_s: round(elapsed / 1000),
        first_write_refusals: refusals,
        first_write_mirror: mirror?.state ?? null,
      };
    }
    if ((status !== 429 && status !== 503) || elapsed > timeoutMs) {
      throw new Error(`the first write got HTTP ${status} after ${(elapsed / 1000).toFixed(1)} s`);
    }
    await sleep(POLL_MS);
  }
}

/**
 * Starts the server, sends `write` (if given) as soon as it listens until it is accepted, waits until
 * it is ready, reads its memory, runs `queries` against it (given the base URL), reads its memory
 * again and stops it; a stop other than exit code 0 is reported.
 */
export async function measureServer(
  options: ServerOptions,
  readyTimeoutMs: number,
  queries: (base: string) => Promise<ServerStats['http']>,
  note: (message: string) => void,
  write?: WriteProbe,
): Promise<ServerStats> {
  const server = await startServer(options);
  try {
    note(`server pid ${server.pid} listening after ${server.listeningS.toFixed(1)} s`);
    const written =
      write === undefined
        ? { first_write_s: null, first_write_refusals: 0, first_write_mirror: null }
        : await firstWrite(server, options.rootKey, write, readyTimeoutMs);
    if (write !== undefined) {
      note(
        `first write accepted ${written.first_write_s} s after listening (${written.first_write_refusals} ` +
          `refused first; mirror ${written.first_write_mirror}); waiting until ready`,
      );
    }
    const { startupS, mirror } = await waitReady(server, options.rootKey, readyTimeoutMs);
    const ready = await procMemory(server.pid);
    note(`server ready after ${startupS.toFixed(1)} s, mirror ${mirror.state}, RSS ${ready.rss_mb} MB`);
    const http = await queries(server.base);
    const after = await procMemory(server.pid);
    return {
      records: mirror.records,
      listening_s: round(server.listeningS),
      ...written,
      startup_s: round(startupS),
      mirror: mirror.reason === undefined ? mirror.state : `${mirror.state} (${mirror.reason})`,
      mirror_mb: mirror.memory_mb,
      rss_mb: ready.rss_mb,
      rss_after_queries_mb: after.rss_mb,
      peak_rss_mb: after.peak_rss_mb,
      http,
    };
  } finally {
    const code = await server.stop();
    if (code !== 0) note(`WARNING: the server exited with code ${code} on SIGTERM`);
  }
}

/**
 * Starts the server again on the same data (it restores the snapshot its last stop wrote), sends
 * `write` the moment it listens, waits until it is ready and stops it: what a restart looks like.
 */
export async function measureRestart(
  options: ServerOptions,
  readyTimeoutMs: number,
  note: (message: string) => void,
  write: WriteProbe,
): Promise<Restart> {
  const none = () => Promise.resolve({ p50_ms: 0, p99_ms: 0, queries: 0 });
  const { listening_s, first_write_s, first_write_refusals, first_write_mirror, startup_s, rss_mb } =
    await measureServer(options, readyTimeoutMs, none, note, write);
  return { listening_s, first_write_s, first_write_refusals, first_write_mirror, startup_s, rss_mb };
}
