/**
 * `npm run restore -- SRC [DATA_DIR]`: restores a backup made by `npm run backup` into DATA_DIR (the
 * argument, else the configured one) and the configured LANCEDB_URI (by default inside DATA_DIR).
 * The destination must be new or empty — a running server's DATA_DIR never is — and is built beside
 * it and renamed into place, so an interrupted restore leaves nothing half-written. Start the server
 * on it afterwards; index jobs the backup's journal still held are done at that start.
 */
import { loadConfig } from '../src/config.js';
import { restoreBackup } from '../src/storage/snapshot.js';
import { EXIT, UsageError, runScript } from './lib/cli.js';
import { refuseDistributed } from './lib/store.js';

const USAGE = 'usage: npm run restore -- SRC [DATA_DIR]';

async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }
  const [src, dataDir, ...extra] = argv;
  if (src === undefined || src.startsWith('-') || extra.length > 0) throw new UsageError(USAGE);
  const config = loadConfig(dataDir === undefined ? process.env : { ...process.env, DATA_DIR: dataDir });
  refuseDistributed(
    config,
    'npm run restore',
    'restore a pg_dump into an empty database with pg_restore (e.g. pg_restore --dbname="$DATABASE_URL" vikingscope.dump), then start the servers on it',
  );
  process.stderr.write(`restoring ${src} into ${config.dataDir}…\n`);
  const manifest = await restoreBackup(src, config);
  process.stdout.write(
    `restored the backup of ${manifest.created_at} into ${config.dataDir} (index: ${config.lancedbUri})\n`,
  );
  return EXIT.ok;
}

runScript('restore', () => main(process.argv.slice(2)));
