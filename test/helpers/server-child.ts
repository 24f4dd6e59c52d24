/**
 * The real server (src/serve.ts) in a child process, through services-child.ts `serve`: dev mode on
 * a free loopback port with the builtin embedder, every embed call slowed by SLOW_EMBED_MS if given.
 */
import { spawn, type ChildProcess } from 'node:child_process';

const CHILD = ['--import', './test/helpers/ts-register.mjs', 'test/helpers/services-child.ts', 'serve'];

export interface Child {
  readonly process: ChildProcess;
  readonly port: number;
  readonly exited: Promise<{ code: number | null; at: number }>;
}

/** Starts the server in dev mode (loopback) on a free port. */
export function startServer(dataDir: string, env: Record<string, string>): Promise<Child> {
  const child = spawn(process.execPath, CHILD, {
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      LOG_LEVEL: 'silent',
      ROOT_API_KEY: '',
      EMBEDDER: 'builtin',
      PORT: '0',
      DATA_DIR: dataDir,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
    child.on('exit', (code) => resolve({ code, at: Date.now() })),
  );
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      const port = /listening (\d+)/.exec(chunk.toString())?.[1];
      if (port !== undefined) resolve({ process: child, port: Number(port), exited });
    });
    void exited.then(({ code }) => reject(new Error(`server exited ${code}: ${stderr}`)));
  });
}
