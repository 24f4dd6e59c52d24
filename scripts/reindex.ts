/**
 * `npm run reindex -- [account] [--reset]`: rebuilds the index from the filesystem (SPEC 9.3).
 * Without an account every account with files is re-indexed, starting from an empty index when the
 * configured embedder differs from the index's (or with `--reset`). Configured like the server
 * (src/config.ts) and wired from the same composition (`openIndex`, the account store's policies).
 * Embedded mode: it takes the DATA_DIR lock, so the server must be stopped first. Distributed mode
 * (DATABASE_URL): it runs beside the servers — the rebuild is journaled in PostgreSQL, applied by
 * whichever worker takes it (this script's among them), and every process answers 503 to searches
 * of an account until its rebuild is applied; a reset or another embedder needs the servers stopped.
 *
 * Crash safety: the rebuild is journaled (one job per account) before the index is touched — before
 * `--reset` drops it — and applied by the indexing pipeline, which acknowledges account by account.
 * Killed at any moment, the jobs left are resumed by the next start of the server or of this script
 * (or, in distributed mode, by any running worker), and searches of the accounts not yet rebuilt
 * answer 503 until then.
 */
import { detailsOf, isAppError } from '../src/errors.js';
import { loadConfig } from '../src/config.js';
import type { IndexJournal } from '../src/indexing/journal.js';
import { IndexPipeline } from '../src/indexing/pipeline.js';
import { accountsWithFiles, journalRebuild } from '../src/indexing/reindex.js';
import type { Logger } from '../src/log.js';
import { DEFAULT_POLICY, validateId } from '../src/policy/index.js';
import { progressBar } from './lib/progress.js';
import { EXIT, UsageError, runScript, scriptLogger } from './lib/cli.js';
import { openReindexStore, type OpenedIndex, type ReindexStore } from './lib/reindex-store.js';

const USAGE = `usage: npm run reindex -- [account] [--reset]
  (no argument)  rebuild every account on disk (from scratch if the embedder changed)
  account        rebuild that account only
  --reset        drop the index and rebuild every account
Configured like the server (DATA_DIR, LANCEDB_URI, EMBEDDER…, or DATABASE_URL); the embedded
  mode needs the server stopped, the distributed mode runs beside the servers (stop them for --reset).`;

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
 * Opens the index and journals the rebuild of `targets`, resolving with the jobs' tickets. A full
 * re-index with another embedder than the index's starts from an empty index; the jobs are journaled
 * before it is emptied.
 */
async function openAndJournal(
  rs: ReindexStore,
  log: Logger,
  targets: readonly string[],
  { reset, whole }: { reset: boolean; whole: boolean },
): Promise<OpenedIndex & { reset: boolean; tickets: number[] }> {
  const journal = async (): Promise<number[]> => {
    const tickets = await journalRebuild(await rs.journal(), targets);
    log.info({ accounts: targets.length }, 'reindex journaled');
    return tickets;
  };
  if (!reset) {
    try {
      const opened = await rs.openIndex(false);
      return { ...opened, reset, tickets: await journal() };
    } catch (error) {
      const embedderChanged =
        isAppError(error) && detailsOf(error, 'FAILED_PRECONDITION')?.indexed !== undefined;
      if (!embedderChanged || !whole) throw error;
    }
  }
  await rs.mayReset();
  const tickets = await journal();
  await rs.beforeReset();
  return { ...(await rs.openIndex(true)), reset: true, tickets };
}

/**
 * Waits until the jobs of `tickets` are applied (by this script's worker or, on a shared journal,
 * another's) with a progress bar; resolves with how many were given up after retries.
 */
async function drain(pipeline: IndexPipeline, journal: IndexJournal, tickets: number[]): Promise<number> {
  const bar = progressBar('reindexing', 'accounts', !process.stderr.isTTY);
  bar.start(tickets.length, 0);
  const timer = setInterval(() => {
    void journal
      .unfinished(tickets)
      .then((open) => bar.update(tickets.length - open.size))
      .catch(() => undefined);
  }, 250);
  try {
    await pipeline.waitFor(tickets, FOREVER_MS).catch((error: unknown) => {
      // One was given up (counted below); the wait ends at the first, so wait for the others.
      if (!(isAppError(error) && error.code === 'INTERNAL')) throw error;
      return waitFinished(journal, tickets);
    });
    return (await journal.failures(tickets)).size;
  } finally {
    clearInterval(timer);
    bar.update(tickets.length);
    bar.stop();
  }
}

/** Resolves once none of `tickets` is left in the journal (some were given up). */
async function waitFinished(journal: IndexJournal, tickets: number[]): Promise<void> {
  while ((await journal.unfinished(tickets)).size > 0) await new Promise((r) => setTimeout(r, 250));
}

/** The longest timer Node keeps (about 24.8 days): the rebuild is waited for as long as it takes. */
const FOREVER_MS = 2 ** 31 - 1;

/** The accounts to rebuild: the one named (exit 2 if the store has no such account) or all with files. */
async function targetsOf(rs: ReindexStore, account: string | undefined): Promise<string[]> {
  const all = await accountsWithFiles(rs.files);
  if (account === undefined || all.includes(account)) return account === undefined ? all : [account];
  throw new UsageError(
    `account '${account}' not found in ${rs.where} (accounts there: ${all.join(', ') || 'none'})`,
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
  const log = scriptLogger(config);
  const command = `npm run reindex${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`;
  const rs = await openReindexStore(config, log, command);
  try {
    const targets = await targetsOf(rs, account);
    const { embedder, store, reset, tickets, finish } = await openAndJournal(rs, log, targets, {
      reset: resetAsked,
      whole: account === undefined,
    });
    const journal = await rs.journal();
    const pipeline = new IndexPipeline({
      dataDir: config.dataDir,
      files: rs.files,
      store,
      embedder,
      log,
      // Folders left by trusted/dev mode have no registry entry: their policy is the default.
      policyOf: async (a) => ((await rs.accounts.exists(a)) ? rs.accounts.policyOf(a) : DEFAULT_POLICY),
      messages: rs.messages,
      journal,
    });
    try {
      // A bulk load: the rebuilt records are appended without the in-memory mirror's work (nothing
      // searches here; the server loads its mirror from the table when it starts).
      const failed = await store.bulkLoad(async () => {
        await pipeline.start();
        return drain(pipeline, journal, tickets);
      });
      if (failed > 0) {
        process.stderr.write(`reindex: ${failed} job(s) failed (see the log); run it again\n`);
        return EXIT.failed;
      }
      await finish();
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
    await rs.close();
  }
}

runScript('reindex', () => main(process.argv.slice(2)));
