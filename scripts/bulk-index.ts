/**
 * `npm run bulk-index -- --account acme --user alice [--agent bot] [--role user|admin|root]
 * --target viking://resources/imported <folder | file.jsonl>`: imports many documents in-process,
 * through the same services as the server (`buildServices`), so the namespace policy, visibility and
 * size limits apply exactly as for HTTP writes. Resumable through a checkpoint, bounded concurrency,
 * a progress bar on stderr and a summary with throughput on stdout. Needs the server stopped (the
 * DATA_DIR lock). Exit codes: 0 all written or deliberately skipped, 1 some documents failed,
 * 2 bad arguments, 3 DATA_DIR in use, 130 interrupted.
 */
import { stat } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../src/config.js';
import { messageOf } from '../src/errors.js';
import { resolveUri, type RequestContext } from '../src/policy/index.js';
import { buildServices, type Services } from '../src/services.js';
import { parseBulkArgs, USAGE, type BulkArgs } from './bulk/args.js';
import { Checkpoint } from './bulk/checkpoint.js';
import { formatSummary, summarize } from './bulk/report.js';
import { handled, importDocuments, type Tally } from './bulk/run.js';
import { folderSource, jsonlSource, type Source } from './bulk/source.js';
import { progressBar } from './lib/progress.js';
import { EXIT, UsageError, runScript, scriptLogger } from './lib/cli.js';

/** The request context of the identity the import acts as; unknown accounts and users are usage errors. */
async function identityContext(services: Services, args: BulkArgs): Promise<RequestContext> {
  const { accounts } = services;
  if (!(await accounts.exists(args.account))) {
    throw new UsageError(`account '${args.account}' not found (create it with the admin API first)`);
  }
  if (args.role !== 'root' && !(await accounts.isRegisteredUser(args.account, args.user))) {
    throw new UsageError(`user '${args.user}' is not registered in account '${args.account}'`);
  }
  if (!accounts.registry) await accounts.prepare(args.account);
  const ctx: RequestContext = {
    effective: { account_id: args.account, user_id: args.user, agent_id: args.agent },
    role: args.role,
    policy: await accounts.policyOf(args.account),
  };
  await services.vfs.ensureIdentity(ctx);
  return ctx;
}

/** The canonical target (shorthand expanded for the identity); a malformed one is a usage error. */
function canonicalTarget(ctx: RequestContext, target: string | undefined): string | undefined {
  if (target === undefined) return undefined;
  try {
    return resolveUri(target, ctx.effective, ctx.policy).uri;
  } catch (error) {
    throw new UsageError(`--target ${target}: ${messageOf(error)}`);
  }
}

async function openSource(args: BulkArgs, target: string | undefined, maxBytes: number): Promise<Source> {
  const info = await stat(args.source).catch(() => null);
  if (info?.isDirectory() === true) {
    if (target === undefined) throw new UsageError(`--target is required to import a folder\n${USAGE}`);
    return folderSource(args.source, target, maxBytes);
  }
  if (info?.isFile() === true && args.source.endsWith('.jsonl'))
    return jsonlSource(args.source, target, maxBytes);
  throw new UsageError(`${args.source} is not a folder or a .jsonl file`);
}

interface Signals {
  readonly requested: () => boolean;
  /** Resolves at the first SIGINT/SIGTERM. */
  readonly stopped: Promise<void>;
  readonly dispose: () => void;
}

/** SIGINT/SIGTERM ask the run to stop; a second one exits at once (the last checkpoint stays). */
function stopOnSignals(): Signals {
  let requested = false;
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));
  const onSignal = (): void => {
    if (requested) process.exit(EXIT.interrupted);
    requested = true;
    process.stderr.write('\nstopping after the writes in flight (again to quit at once)…\n');
    resolveStopped();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const dispose = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  return { requested: () => requested, stopped, dispose };
}

/** Waits for the indexer to drain its queue, showing its progress; a signal stops the wait. */
async function waitIndexed(services: Services, stopped: Promise<void>, quiet: boolean): Promise<void> {
  let idle = false;
  const drained = services.pipeline.waitIdle().then(() => {
    idle = true;
  });
  const bar = progressBar('indexing ', 'jobs', quiet);
  const started = performance.now();
  let total = (await services.pipeline.status()).queue_depth;
  bar.start(total, 0, { rate: 0 });
  while (!idle) {
    if ((await Promise.race([drained, stopped.then(() => 'stop'), sleep(250)])) === 'stop') break;
    const depth = (await services.pipeline.status()).queue_depth;
    total = Math.max(total, depth);
    const done = total - depth;
    bar.setTotal(total);
    bar.update(done, { rate: Math.round(done / ((performance.now() - started) / 1000)) });
  }
  if (idle) bar.update(total);
  bar.stop();
}

interface Job {
  readonly ctx: RequestContext;
  readonly source: Source;
  readonly checkpoint: Checkpoint;
}

/** Resolves the identity, the target, the source and the checkpoint before anything is written. */
async function prepare(services: Services, args: BulkArgs): Promise<Job> {
  const ctx = await identityContext(services, args);
  const target = canonicalTarget(ctx, args.target);
  const source = await openSource(args, target, services.config.maxFileBytes);
  const key = { source: args.source, target, identity: ctx.effective, role: ctx.role };
  const checkpoint = await Checkpoint.open(services.config.dataDir, key, args.checkpointEvery, args.restart);
  return { ctx, source, checkpoint };
}

/** Imports with a progress bar, then waits for the indexer; returns the tally. */
async function execute(services: Services, args: BulkArgs, job: Job, signals: Signals): Promise<Tally> {
  const started = performance.now();
  const bar = progressBar('importing', 'docs', args.json);
  bar.start(job.source.total, 0, { rate: 0 });
  const tally = await importDocuments({
    ...job,
    vfs: services.vfs,
    concurrency: args.concurrency,
    stopRequested: signals.requested,
    onProgress: (t: Tally) =>
      bar.update(handled(t), { rate: Math.round(t.written / ((performance.now() - started) / 1000)) }),
  });
  bar.stop();
  if (!tally.interrupted) await waitIndexed(services, signals.stopped, args.json);
  tally.interrupted ||= signals.requested();
  return tally;
}

async function run(services: Services, args: BulkArgs): Promise<number> {
  const job = await prepare(services, args);
  const signals = stopOnSignals();
  try {
    const recordsBefore = await services.store.countRows();
    const started = performance.now();
    // A bulk load: records are appended without the in-memory mirror's work; the mirror is rebuilt
    // from the table afterwards (nothing searches meanwhile: the server is stopped).
    const tally = await services.store.bulkLoad(() => execute(services, args, job, signals));
    const status = await services.pipeline.status();
    const summary = summarize(tally, {
      seconds: (performance.now() - started) / 1000,
      recordsBefore,
      recordsAfter: status.records,
      failedIndexJobs: status.failed_jobs,
      checkpoint: job.checkpoint.path,
    });
    process.stdout.write(args.json ? `${JSON.stringify(summary)}\n` : formatSummary(summary));
    return tally.interrupted ? EXIT.interrupted : summary.failed > 0 ? EXIT.failed : EXIT.ok;
  } finally {
    signals.dispose();
  }
}

async function main(argv: readonly string[]): Promise<number> {
  const args = parseBulkArgs(argv);
  if (args === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }
  const config = loadConfig();
  const services = await buildServices(config, scriptLogger(config));
  try {
    return await run(services, args);
  } finally {
    await services.close();
  }
}

runScript('bulk-index', () => main(process.argv.slice(2)));
