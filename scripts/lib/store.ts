/**
 * The offline scripts that work on an existing store (backup, reindex) refuse a DATA_DIR that holds
 * none, instead of creating an empty store and reporting success on it. The error names the path
 * looked at and how to point at the right one; when a server answers on HOST:PORT of this machine,
 * its DATA_DIR is looked up (Linux /proc, same user) so the message can name it.
 */
import { readFile, readdir, readlink, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Config } from '../../src/config.js';
import { UsageError } from './cli.js';

/** Folders every store has from its first start on (the account filesystem, the index journal). */
const STORE_FOLDERS = ['fs', 'index'];

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null))?.isDirectory() === true;
}

/** Whether `dataDir` holds a VikingScope store. */
export async function holdsStore(dataDir: string): Promise<boolean> {
  for (const name of STORE_FOLDERS) if (await isDirectory(join(dataDir, name))) return true;
  return false;
}

/** Socket inodes listening on `port` (IPv4 and IPv6), from /proc/net/tcp*. */
async function listeningInodes(port: number): Promise<Set<string>> {
  const inodes = new Set<string>();
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(table, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // cols: sl, local_address, rem_address, st (0A = LISTEN), …, inode (index 9)
      if (cols[1]?.endsWith(`:${hexPort}`) === true && cols[3] === '0A' && cols[9] !== undefined) {
        inodes.add(cols[9]);
      }
    }
  }
  return inodes;
}

/** The pid holding one of `inodes` open, among the processes this user may inspect. */
async function pidOfSocket(inodes: Set<string>): Promise<number | null> {
  const pids = (await readdir('/proc').catch(() => [])).filter((n) => /^\d+$/.test(n));
  for (const pid of pids) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => []);
    for (const fd of fds) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      if (inodes.has(/^socket:\[(\d+)\]$/.exec(target)?.[1] ?? '')) return Number(pid);
    }
  }
  return null;
}

/** The absolute DATA_DIR of process `pid` (its environment, else the default, from its cwd). */
async function dataDirOf(pid: number): Promise<string | null> {
  const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => null);
  const environ = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => null);
  if (cwd === null || environ === null) return null;
  const entry = environ.split('\0').find((e) => e.startsWith('DATA_DIR='));
  return resolve(cwd, entry === undefined ? './data/store' : entry.slice('DATA_DIR='.length));
}

/** What answers on the configured HOST:PORT: nothing, a server, or a server whose store was found. */
async function runningServer(config: Config): Promise<{ url: string; dataDir: string | null } | null> {
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${config.port}`;
  const health = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) }).catch(() => null);
  if (health?.ok !== true) return null;
  const pid = await pidOfSocket(await listeningInodes(config.port));
  const dataDir = pid === null ? null : await dataDirOf(pid);
  return { url, dataDir: dataDir !== null && (await holdsStore(dataDir)) ? dataDir : null };
}

/**
 * Throws a UsageError (exit 2) in distributed mode (DATABASE_URL set), where the store is PostgreSQL
 * and DATA_DIR holds only caches: these scripts work on the embedded mode's DATA_DIR. `instead` says
 * what to use there.
 */
export function refuseDistributed(config: Config, script: string, instead: string): void {
  if (config.databaseUrl === undefined) return;
  throw new UsageError(
    `${script} works on the embedded mode's DATA_DIR; with DATABASE_URL set the store is PostgreSQL and DATA_DIR holds only caches: ${instead}`,
  );
}

/**
 * Throws a UsageError (exit 2) unless `config.dataDir` holds a store, before anything is created.
 * @param command how the script is run, for the example line (`npm run backup -- DEST`).
 */
export async function requireStore(config: Config, command: string): Promise<void> {
  if (await holdsStore(config.dataDir)) return;
  const looked = resolve(config.dataDir);
  const lines = [`no VikingScope store in DATA_DIR ${looked} (this script never creates one)`];
  const server = await runningServer(config);
  if (server !== null && server.dataDir !== null) {
    lines.push(`the server answering on ${server.url} uses DATA_DIR ${server.dataDir}; run:`);
    lines.push(`  DATA_DIR=${server.dataDir} ${command}`);
  } else {
    if (server !== null) {
      lines.push(`a server answers on ${server.url}, but its store could not be found from here;`);
    }
    lines.push('set DATA_DIR (and LANCEDB_URI, if set) as for the server, e.g.');
    lines.push(`  DATA_DIR=/path/to/store ${command}`);
  }
  throw new UsageError(lines.join('\n'));
}
