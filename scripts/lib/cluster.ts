/**
 * A local cluster of server processes on one PostgreSQL (SPEC 14), for trying distributed mode and for
 * the tests that kill and restart its members: each process gets its own free port and its own
 * DATA_DIR (caches only) under one folder, the same DATABASE_URL, and the embedded server's entry point
 * (compiled, or the TypeScript sources under the tests' loader).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { withAllocatorEnv } from '../../src/allocator.js';

/** How a member is started: Node's arguments before the server's (the entry point and a loader). */
export type Entry = readonly string[];

export interface ClusterOptions {
  readonly processes: number;
  readonly databaseUrl: string;
  /** Each member's DATA_DIR is `<dataDir>/p<i>`. */
  readonly dataDir: string;
  readonly entry: Entry;
  /** Settings every member gets (a member's own PORT, DATA_DIR and DATABASE_URL win). */
  readonly env?: Readonly<Record<string, string>>;
  /** Per-member settings, e.g. `ROLE` (index = member number). */
  readonly envOf?: (index: number) => Readonly<Record<string, string>>;
  /** Called with each line a member prints (stdout and stderr). */
  readonly onLine?: (index: number, line: string) => void;
  /** Called when a member's process ends, whether stopped or not. */
  readonly onExit?: (index: number, code: number | null) => void;
  /** Start the members all at once (concurrent migrations) instead of one after another. */
  readonly together?: boolean;
  /** How long a member may take to print its address (default 60 s). */
  readonly startTimeoutMs?: number;
}

export class Member {
  private child: ChildProcess | null = null;
  private exit: Promise<number | null> = Promise.resolve(null);
  /** The port, fixed at the first start so a restarted member answers at the same URL. */
  private port = 0;

  constructor(
    readonly index: number,
    private readonly options: ClusterOptions,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get dataDir(): string {
    return join(this.options.dataDir, `p${this.index}`);
  }

  /** Whether the process runs. */
  get running(): boolean {
    return this.child !== null;
  }

  /** Starts the process; resolves once it listens (rejects with what it printed if it exits first). */
  async start(): Promise<void> {
    if (this.child !== null) throw new Error(`member ${this.index} is already running`);
    await mkdir(this.dataDir, { recursive: true, mode: 0o700 });
    const { options } = this;
    const child = spawn(process.execPath, [...options.entry], {
      env: withAllocatorEnv({
        ...process.env,
        ...options.env,
        ...options.envOf?.(this.index),
        PORT: String(this.port),
        DATA_DIR: this.dataDir,
        DATABASE_URL: options.databaseUrl,
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.exit = new Promise((resolve) =>
      child.once('exit', (code) => {
        if (this.child === child) this.child = null;
        options.onExit?.(this.index, code);
        resolve(code);
      }),
    );
    let printed = '';
    const listening = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`member ${this.index} did not start within its timeout:\n${printed}`)),
        options.startTimeoutMs ?? 60_000,
      );
      const onText = (chunk: Buffer) => {
        const text = chunk.toString();
        printed = `${printed}${text}`.slice(-4000);
        for (const line of text.split('\n')) if (line.trim() !== '') options.onLine?.(this.index, line);
        const port = /listening on http:\/\/[^\s]*:(\d+)/.exec(text)?.[1];
        if (port !== undefined) {
          clearTimeout(timer);
          resolve(Number(port));
        }
      };
      child.stdout.on('data', onText);
      child.stderr.on('data', onText);
      void this.exit.then((code) => {
        clearTimeout(timer);
        reject(new Error(`member ${this.index} exited (${code}) before listening:\n${printed}`));
      });
    });
    try {
      this.port = await listening;
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
  }

  /** Sends `signal` and waits for the process to end; SIGKILL after `graceMs` if it has not. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000): Promise<number | null> {
    const child = this.child;
    if (child === null) return null;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    try {
      return await this.exit;
    } finally {
      clearTimeout(timer);
    }
  }
}

export class Cluster {
  readonly members: readonly Member[];

  private constructor(options: ClusterOptions) {
    this.members = Array.from({ length: options.processes }, (_, i) => new Member(i, options));
  }

  /**
   * Starts every member, one after another unless `together` (migrations take an advisory lock, so
   * concurrent starts are safe either way). A member that fails to start stops the ones running.
   */
  static async start(options: ClusterOptions): Promise<Cluster> {
    if (!Number.isInteger(options.processes) || options.processes < 1) {
      throw new Error(`--processes must be a positive integer, not ${options.processes}`);
    }
    const cluster = new Cluster(options);
    try {
      if (options.together === true) {
        const started = await Promise.allSettled(cluster.members.map((m) => m.start()));
        const failed = started.find((s) => s.status === 'rejected');
        if (failed !== undefined) throw failed.reason;
      } else for (const member of cluster.members) await member.start();
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  get urls(): string[] {
    return this.members.map((m) => m.url);
  }

  /** Stops every running member (SIGTERM, then SIGKILL after the grace period). */
  async stop(graceMs?: number): Promise<void> {
    await Promise.all(this.members.map((m) => m.stop('SIGTERM', graceMs)));
  }
}
