/**
 * `npm run reindex -- [account] [--reset]`: rebuilds the index from the filesystem (SPEC 9.3).
 * Without an account every account on disk is re-indexed, starting from an empty table when the
 * configured embedder differs from the index's (or with `--reset`). Configured like the server
 * (src/config.ts) and wired from the same composition (`openIndex`, the account store's policies).
 * It takes the DATA_DIR lock, so the server must be stopped first.
 */
import { AccountStore } from '../src/accounts/store.js';
import { loadConfig, type Config } from '../src/config.js';
import { isAppError } from '../src/errors.js';
import { NO_HOOKS } from '../src/hooks.js';
import { reindexAccount, reindexAll } from '../src/index/reindex.js';
import type { Logger } from '../src/log.js';
import { DEFAULT_POLICY, validateId } from '../src/policy/index.js';
import { openIndex } from '../src/services.js';
import { lockDataDir } from '../src/storage/lock.js';
import { progressBar } from './lib/progress.js';
import { EXIT, UsageError, runScript, scriptLogger } from './lib/cli.js';

const USAGE = 'usage: npm run reindex -- [account] [--reset]';

function parseArgs(argv: readonly string[]): { account: string | undefined; reset: boolean } {
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

/** Opens the index; a full re-index with another embedder than the index's starts from an empty table. */
async function open(config: Config, log: Logger, reset: boolean, wholeIndex: boolean) {
  try {
    return { ...(await openIndex(config, log, { reset })), reset };
  } catch (error) {
    const embedderChanged = isAppError(error) && error.details['indexed'] !== undefined;
    if (!embedderChanged || !wholeIndex) throw error;
    return { ...(await openIndex(config, log, { reset: true })), reset: true };
  }
}

async function main(argv: readonly string[]): Promise<number> {
  const { account, reset: resetAsked } = parseArgs(argv);
  const config = loadConfig();
  const log = scriptLogger(config);
  const unlock = await lockDataDir(config.dataDir);
  try {
    const accounts = await AccountStore.open({
      dataDir: config.dataDir,
      registry: config.authMode === 'api_key',
      hooks: NO_HOOKS,
    });
    const { embedder, store, reset } = await open(config, log, resetAsked, account === undefined);
    try {
      const deps = {
        dataDir: config.dataDir,
        store,
        embedder,
        log,
        // Folders left by trusted/dev mode have no registry entry: their policy is the default.
        policyOf: async (a: string) => ((await accounts.exists(a)) ? accounts.policyOf(a) : DEFAULT_POLICY),
      };
      const bar = progressBar('reindexing', 'accounts', !process.stderr.isTTY);
      bar.start(1, 0);
      const progress = (n: number, total: number): void => {
        bar.setTotal(total);
        bar.update(n);
      };
      let done: string[];
      if (account === undefined) {
        done = await reindexAll(deps, progress);
      } else {
        await reindexAccount(deps, account);
        progress(1, 1);
        done = [account];
      }
      bar.stop();
      if (reset) log.info({ embedder: embedder.id }, 'index rebuilt from scratch');
      process.stdout.write(
        `reindexed ${done.length} account(s); ${await store.countRows()} records with ${embedder.id}\n`,
      );
      return EXIT.ok;
    } finally {
      await store.close();
    }
  } finally {
    await unlock();
  }
}

runScript('reindex', () => main(process.argv.slice(2)));
