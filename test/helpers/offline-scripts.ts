/**
 * Running the compiled offline scripts in a child process (see compiled.ts) and reading their
 * results: the bulk indexer's JSON summary and checkpoint, and the DATA_DIR opened in-process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { logger } from '../../src/log.js';
import { and, eq, subtree, type RequestContext } from '../../src/policy/index.js';
import { buildServices, type Services } from '../../src/services.js';

export interface Summary {
  total: number;
  written: number;
  already_done: number;
  skipped: number;
  failed: number;
  interrupted: boolean;
  records_before: number;
  records_after: number;
  issues: { key: string; uri: string; reason: string; message: string }[];
}

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const CONFIG_VARS = ['ROOT_API_KEY', 'AUTH_MODE', 'LANCEDB_URI', 'EMBEDDING_MODEL', 'LOG_LEVEL'];

/** The checkpoint's `done_count`, once the script wrote one (there is one per source and identity). */
export function checkpointCount(dataDir: string): number | null {
  const dir = join(dataDir, 'bulk');
  const file = existsSync(dir) ? readdirSync(dir).find((n) => n.endsWith('.json')) : undefined;
  if (file === undefined) return null;
  return (JSON.parse(readFileSync(join(dir, file), 'utf8')) as { done_count: number }).done_count;
}

/**
 * Runs a compiled script of `build`; `watch` sees the checkpoint count and the stderr so far every
 * few milliseconds.
 */
export function runScript(
  build: string,
  script: 'bulk-index' | 'reindex',
  dataDir: string,
  args: readonly string[],
  env: Record<string, string> = {},
  watch?: (done: number | null, child: ChildProcess, stderr: string) => void,
): Promise<Run> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !CONFIG_VARS.includes(k)));
  const child = spawn(process.execPath, [join(build, `scripts/${script}.js`), ...args], {
    env: { ...base, DATA_DIR: dataDir, EMBEDDER: 'builtin', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer =
    watch === undefined ? undefined : setInterval(() => watch(checkpointCount(dataDir), child, stderr), 2);
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearInterval(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export function summaryOf(run: Run): Summary {
  const last = run.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(last) as Summary;
  } catch {
    throw new Error(`no JSON summary (exit ${run.code}): ${run.stdout}\n${run.stderr}`);
  }
}

/** Opens DATA_DIR in-process with the identity (default, alice, bot) as a USER. */
export async function withServices<T>(
  dataDir: string,
  use: (s: Services, ctx: RequestContext) => Promise<T>,
) {
  const services = await buildServices(loadConfig({ DATA_DIR: dataDir, EMBEDDER: 'builtin' }), logger);
  const ctx: RequestContext = {
    effective: { account_id: 'default', user_id: 'alice', agent_id: 'bot' },
    role: 'user',
    policy: await services.accounts.policyOf('default'),
  };
  try {
    return await use(services, ctx);
  } finally {
    await services.close();
  }
}

export async function urisUnder(services: Services, root: string): Promise<string[]> {
  const rows = await services.store.scan(and(eq('account_id', 'default'), subtree(root)));
  return [...new Set(rows.map((r) => r.uri))].sort();
}

/** `count` lines `{"uri": "d<i>.md", "content": "doc <i>"}`. */
export function writeJsonl(path: string, count: number): void {
  const lines = Array.from({ length: count }, (_, i) =>
    JSON.stringify({ uri: `d${i}.md`, content: `doc ${i}` }),
  );
  writeFileSync(path, `${lines.join('\n')}\n`);
}
