/**
 * `npm run reindex -- [account] [--reset]`: rebuilds the index from the filesystem (SPEC 9.3).
 * Without an account every account on disk is re-indexed, starting from an empty table when the
 * configured embedder differs from the index's (or with `--reset`). Configured like the server
 * (src/config.ts) and wired from the same composition (`openIndex`, the account store's policies).
 * It takes the DATA_DIR lock, so the server must be stopped first.
 *
 * Crash safety: the rebuild is journaled (one job per account) before the index is touched — before
 * `--reset` drops it — and applied by the indexing pipeline, which acknowledges account by account.
 * Killed at any moment, the jobs left are resumed by the next start of the server or of this script,
 * and searches of the accounts not yet rebuilt answer 503 until then.
 */
import { resolve } from 'node:path';
import { AccountStore } from '../src/accounts/store.js';
import { loadConfig, type Config } from '../src/config.js';
import { detailsOf, isAppError } from '../src/errors.js';
import { NO_HOOKS } from '../src/hooks.js';
import { LocalJournal } from '../src/indexing/journal.js';
import { markResetPending, saveIndexMarker } from '../src/indexing/marker.js';
import { IndexPipeline } from '../src/indexing/pipeline.js';
import { accountsWithFiles, journalRebuild } from '../src/indexing/reindex.js';
import { LocalFileStorage } from '../src/storage/local-files.js';
import type { Logger } from '../src/log.js';
import { DEFAULT_POLICY, validateId } from '../src/policy/index.js';
import { openIndex } from '../src/services.js';
import { indexedMessages, sessionReader } from '../src/sessions/reader.js';
import { lockDataDir } from '../src/storage/lock.js';
import { progressBar } from './lib/progress.js';
import { EXIT, UsageError, runScript, scriptLogger } from './lib/cli.js';
import { refuseDistributed, requireStore } from './lib/store.js';

const USAGE = `usage: npm run reindex -- [account] [--reset]
  (no argument)  rebuild every account on disk (from scratch if the embedder changed)
  account        rebuild that account only
  --reset        drop the index and rebuild every account
The server must be stopped; configured like it (DATA_DIR, LANCEDB_URI, EMBEDDER…).`;

function parseArgs(argv: readonly string[]): { account: string | undefined; reset: boolean } | 'help' {
  if (argv.includes('--help') || argv.includes('-h')) return 'help';
  const unknown = argv.filter((a) => a.startsWith('-') && a !== '--reset');
  const names = argv.filter((a) => !a.startsWith('-'));
  if (unknown.length > 0) throw new UsageError(`unknown option ${unknown[0]}\n${USAGE}`);
  if (names.length > 1) throw new UsageError(`at most one account may be named\n${USAGE}`);
  const account = names[0];
  if (account !== undefined) validateId(account, 'account');
  const reset = argv.includes('--reset');
  if (reset && account !== undefined) throw new UsageError('--reset rebuilds every account; do not name one');
  return { account, reset };
}

/**
 * Opens the index and journals the rebuild of `targets`. A full re-index with another embedder than
 * the index's starts from an empty table; the jobs are journaled before that table is dropped.
 */
async function openAndJournal(
  config: Config,
  log: Logger,
  targets: readonly string[],
  { reset, whole }: { reset: boolean; whole: boolean },
) {
  const journal = async (): Promise<void> => {
    await journalRebuild(await LocalJournal.open(config.dataDir), targets);
    log.info({ accounts: targets.length }, 'reindex journaled');
  };
  if (!reset) {
    try {
      const opened = await openIndex(config, log);
      await journal();
      return { ...opened, reset };
    } catch (error) {
      const embedderChanged =
        isAppError(error) && detailsOf(error, 'FAILED_PRECONDITION')?.indexed !== undefined;
      if (!embedderChanged || !whole) throw error;
    }
  }
  await journal();
  await markResetPending(config.dataDir);
  return { ...(await openIndex(config, log, { reset: true })), reset: true };
}

/** Applies every journaled job (the rebuild and anything a stopped server left) with a progress bar. */
async function drain(pipeline: IndexPipeline, total: number): Promise<void> {
  const bar = progressBar('reindexing', 'accounts', !process.stderr.isTTY);
  bar.start(total, 0);
  const timer = setInterval(() => {
    void pipeline.status().then((status) => bar.update(total - (status.rebuild?.accounts_left ?? 0)));
  }, 250);
  try {
    await pipeline.waitIdle();
  } finally {
    clearInterval(timer);
    bar.update(total);
    bar.stop();
  }
}

/** The accounts to rebuild: the one named (exit 2 if DATA_DIR has no such account) or all on disk. */
async function targetsOf(dataDir: string, account: string | undefined): Promise<string[]> {
  const onDisk = await accountsWithFiles(new LocalFileStorage(dataDir));
  if (account === undefined || onDisk.includes(account)) return account === undefined ? onDisk : [account];
  throw new UsageError(
    `account '${account}' not found in DATA_DIR ${resolve(dataDir)} (accounts there: ${onDisk.join(', ') || 'none'})`,
  );
}

async function main(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv);
  if (args === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }
  const { account, reset: resetAsked } = args;
  const config = loadConfig();
  refuseDistributed(
    config,
    'npm run reindex',
    'it is not available in distributed mode yet (docs/SCALING.md, "Wiring left")',
  );
  await requireStore(config, `npm run reindex${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`);
  const log = scriptLogger(config);
  const unlock = await lockDataDir(config.dataDir);
  try {
    const accounts = await AccountStore.open({
      dataDir: config.dataDir,
      registry: config.authMode === 'api_key',
      hooks: NO_HOOKS,
    });
    const targets = await targetsOf(config.dataDir, account);
    const { embedder, store, reset } = await openAndJournal(config, log, targets, {
      reset: resetAsked,
      whole: account === undefined,
    });
    const pipeline = new IndexPipeline({
      dataDir: config.dataDir,
      files: new LocalFileStorage(config.dataDir),
      store,
      embedder,
      log,
      // Folders left by trusted/dev mode have no registry entry: their policy is the default.
      policyOf: async (a) => ((await accounts.exists(a)) ? accounts.policyOf(a) : DEFAULT_POLICY),
      messages: indexedMessages(sessionReader(config.dataDir)),
    });
    try {
      // A bulk load: the rebuilt records are appended without the in-memory mirror's work (nothing
      // searches here; the server loads its mirror from the table when it starts).
      await store.bulkLoad(async () => {
        await pipeline.start();
        await drain(pipeline, targets.length);
      });
      const { failed_jobs } = await pipeline.status();
      if (failed_jobs > 0) {
        process.stderr.write(`reindex: ${failed_jobs} job(s) failed (see the log); run it again\n`);
        return EXIT.failed;
      }
      await store.optimize();
      await saveIndexMarker(config.dataDir, config.lancedbUri, await store.version());
      if (reset) log.info({ embedder: embedder.id }, 'index rebuilt from scratch');
      process.stdout.write(
        `reindexed ${targets.length} account(s); ${await store.countRows()} records with ${embedder.id}\n`,
      );
      return EXIT.ok;
    } finally {
      await pipeline.stop();
      await store.close();
    }
  } finally {
    await unlock();
  }
}

runScript('reindex', () => main(process.argv.slice(2)));
