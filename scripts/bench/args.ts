/** Command line of `npm run bench`. */
import { UsageError } from '../lib/cli.js';

export interface BenchArgs {
  readonly records: number;
  readonly queries: number;
  readonly json: string | undefined;
  readonly http: boolean;
  readonly seed: number;
  /** Single writes after the first measurement (0: none, and no measurement after them). */
  readonly writes: number;
  /** Measure the server alone in its own process at the end. */
  readonly server: boolean;
  /** Start the server alone this many more times after it, each sent a write the moment it listens. */
  readonly restarts: number;
}

export const USAGE =
  'usage: npm run bench -- [--records N] [--queries Q] [--json FILE] [--no-http] [--seed S]\n' +
  '                        [--writes W] [--no-server] [--restarts R]\n' +
  '  defaults: --records 1000000 --queries 200 --seed 42 --writes 10000 --restarts 0';

function count(name: string, value: string | undefined, min: number): number {
  const n = Number(value?.replaceAll('_', ''));
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${name} needs an integer ≥ ${min}\n${USAGE}`);
  return n;
}

export function parseArgs(argv: readonly string[]): BenchArgs | 'help' {
  let records = 1_000_000;
  let queries = 200;
  let json: string | undefined;
  let http = true;
  let seed = 42;
  let writes = 10_000;
  let server = true;
  let restarts = 0;
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = (argv[i] ?? '').split(/=(.*)/s, 2) as [string, string | undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--records':
        records = count(flag, value(), 1_000);
        break;
      case '--queries':
        queries = count(flag, value(), 1);
        break;
      case '--json':
        json = value();
        if (json === undefined || json === '') throw new UsageError(`--json needs a file name\n${USAGE}`);
        break;
      case '--no-http':
        http = false;
        break;
      case '--seed':
        seed = count(flag, value(), 0);
        break;
      case '--writes':
        writes = count(flag, value(), 0);
        break;
      case '--no-server':
        server = false;
        break;
      case '--restarts':
        restarts = count(flag, value(), 0);
        break;
      case '--help':
      case '-h':
        return 'help';
      default:
        throw new UsageError(`unknown argument ${flag}\n${USAGE}`);
    }
  }
  if (restarts > 0 && !server)
    throw new UsageError(`--restarts needs the server alone (not --no-server)\n${USAGE}`);
  return { records, queries, json, http, seed, writes, server, restarts };
}
