/**
 * `npm run cluster -- --processes 3`: a local cluster for trying distributed mode (SPEC 14). Starts
 * that many server processes against `DATABASE_URL`, each on a free loopback port with its own
 * DATA_DIR under `--data-dir` (default `data/cluster`), prints each one's URL, and stops them all on
 * Ctrl-C. `--roles api,worker,all` gives the members their `ROLE` in turn. The other settings (for
 * example ROOT_API_KEY, EMBEDDER) are taken from the environment as for `npm start`.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { EXIT, UsageError, runScript } from './lib/cli.js';
import { Cluster } from './lib/cluster.js';

const USAGE =
  'usage: DATABASE_URL=postgres://… npm run cluster -- [--processes N] [--data-dir DIR] [--roles all,api,worker]';
const ROLES = new Set(['all', 'api', 'worker']);

interface Args {
  readonly processes: number;
  readonly dataDir: string;
  readonly roles: readonly string[];
}

function parse(argv: readonly string[]): Args | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        processes: { type: 'string', default: '3' },
        'data-dir': { type: 'string', default: 'data/cluster' },
        roles: { type: 'string', default: 'all' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    throw new UsageError(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
  }
  if (values.help) return 'help';
  const processes = Number(values.processes);
  if (!Number.isInteger(processes) || processes < 1 || processes > 32) {
    throw new UsageError(`--processes must be a whole number from 1 to 32\n${USAGE}`);
  }
  const roles = values.roles.split(',').map((r) => r.trim());
  const unknown = roles.find((r) => !ROLES.has(r));
  if (unknown !== undefined)
    throw new UsageError(`--roles: unknown role '${unknown}' (all, api, worker)\n${USAGE}`);
  return { processes, dataDir: resolve(values['data-dir']), roles };
}

async function main(argv: readonly string[]): Promise<number> {
  const args = parse(argv);
  if (args === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }
  const databaseUrl = process.env['DATABASE_URL']?.trim();
  if (databaseUrl === undefined || databaseUrl === '') {
    throw new UsageError(
      `DATABASE_URL is not set: the cluster's processes share one PostgreSQL (e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/vikingscope)\n${USAGE}`,
    );
  }
  const entry = fileURLToPath(new URL('../src/main.js', import.meta.url));
  process.stdout.write(
    `starting ${args.processes} processes on ${databaseUrl.replace(/:[^:@/]*@/, ':…@')}…\n`,
  );
  let stopping = false;
  const cluster = await Cluster.start({
    processes: args.processes,
    databaseUrl,
    dataDir: args.dataDir,
    entry: [entry],
    envOf: (i) => ({ ROLE: args.roles[i % args.roles.length] ?? 'all' }),
    onExit: (i, code) => {
      if (!stopping) process.stderr.write(`p${i} exited (${code ?? 'signal'})\n`);
    },
    onLine: (i, line) => {
      if (/error|warn|fatal/i.test(line)) process.stderr.write(`[p${i}] ${line}\n`);
    },
  });
  for (const member of cluster.members) {
    process.stdout.write(`p${member.index}: ${member.url} (pid ${member.pid}, DATA_DIR ${member.dataDir})\n`);
  }
  process.stdout.write('Ctrl-C stops them all.\n');
  await new Promise<void>((done) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => done());
  });
  stopping = true;
  process.stdout.write('stopping…\n');
  await cluster.stop();
  return EXIT.ok;
}

runScript('cluster', () => main(process.argv.slice(2)));
