/**
 * `npm run backup -- DEST`: a consistent copy of the whole store (files, account registry, index
 * journal, LanceDB index) into the new folder DEST (src/storage/snapshot.ts). Configured like the
 * server. If no server holds DATA_DIR, the script takes the DATA_DIR lock and copies; if the server
 * runs, it asks it (`POST /api/v1/system/backup` on HOST:PORT with ROOT_API_KEY), and the server copies
 * while holding back changes for the duration. DEST is a path on the server's machine.
 */
import { resolve } from 'node:path';
import { loadConfig, type Config } from '../src/config.js';
import { detailsOf, isAppError } from '../src/errors.js';
import { lockDataDir } from '../src/storage/lock.js';
import { writeBackup } from '../src/storage/snapshot.js';
import { EXIT, UsageError, runScript } from './lib/cli.js';
import { refuseDistributed, requireStore } from './lib/store.js';

const USAGE = 'usage: npm run backup -- DEST';

/** The server's own address for a request from this machine (a wildcard bind is reached on loopback). */
function serverUrl(config: Config): string {
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.port}/api/v1/system/backup`;
}

async function askServer(config: Config, dest: string): Promise<unknown> {
  if (config.authMode === 'trusted') {
    throw new Error('a running server in trusted mode has no ROOT caller: stop it and run the backup again');
  }
  const response = await fetch(serverUrl(config), {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      ...(config.rootApiKey === undefined ? {} : { 'X-API-Key': config.rootApiKey }),
    },
    body: JSON.stringify({ dest }),
  });
  const body = (await response.json()) as { result?: unknown; error?: { code?: string; message?: string } };
  if (!response.ok) throw new Error(`the server refused: ${body.error?.code} ${body.error?.message}`);
  return body.result;
}

async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }
  const [dest, ...extra] = argv;
  if (dest === undefined || dest.startsWith('-') || extra.length > 0) throw new UsageError(USAGE);
  const target = resolve(dest);
  const config = loadConfig();
  refuseDistributed(
    config,
    'npm run backup',
    'back the database up with pg_dump (e.g. pg_dump --format=custom --file=vikingscope.dump "$DATABASE_URL") or point-in-time recovery',
  );
  await requireStore(config, 'npm run backup -- DEST');
  let unlock: () => Promise<void>;
  try {
    unlock = await lockDataDir(config.dataDir);
  } catch (error) {
    if (!isAppError(error) || detailsOf(error, 'FAILED_PRECONDITION')?.holder_pid === undefined) throw error;
    process.stderr.write(`the server holds ${resolve(config.dataDir)}: asking it to write the backup…\n`);
    const result = await askServer(config, target);
    process.stdout.write(`backup of the running server written to ${target}\n${JSON.stringify(result)}\n`);
    return EXIT.ok;
  }
  try {
    process.stderr.write(`backing up ${resolve(config.dataDir)} into ${target}…\n`);
    const manifest = await writeBackup(config, target);
    process.stdout.write(`backup written to ${target}\n${JSON.stringify(manifest)}\n`);
    return EXIT.ok;
  } finally {
    await unlock();
  }
}

runScript('backup', () => main(process.argv.slice(2)));
