/**
 * The bulk indexer's command line: who it acts as, where documents go and how it runs. Ids are
 * checked by the policy core's validators, exactly like the X-OpenViking-* headers.
 */
import { parseArgs } from 'node:util';
import { messageOf } from '../../src/errors.js';
import type { Role } from '../../src/policy/index.js';
import { validateAgentId, validateId, validateUserIdForRegistration } from '../../src/policy/index.js';
import { UsageError } from '../lib/cli.js';

export const USAGE = `usage: npm run bulk-index -- --account <id> --user <id> [--agent <id>] [--role user|admin|root]
         [--target viking://...] [--concurrency 8] [--checkpoint-every 200] [--restart] [--json]
         <folder | file.jsonl>

  A folder is imported file by file below --target (required for a folder): a/b.md -> <target>/a/b.md.
  A .jsonl file holds one {"uri": ..., "content": ...} per line; a uri that does not start with
  viking:// is relative to --target. The server must be stopped (the DATA_DIR lock).`;

const ROLES: readonly Role[] = ['user', 'admin', 'root'];

export interface BulkArgs {
  readonly account: string;
  readonly user: string;
  readonly agent: string;
  readonly role: Role;
  readonly target: string | undefined;
  readonly source: string;
  readonly concurrency: number;
  readonly checkpointEvery: number;
  readonly restart: boolean;
  readonly json: boolean;
}

function positiveInt(value: string | undefined, name: string, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new UsageError(`--${name} must be an integer from 1 to ${max}, not '${value}'`);
  }
  return n;
}

function required(value: string | undefined, name: string): string {
  if (value === undefined || value === '') throw new UsageError(`--${name} is required\n${USAGE}`);
  return value;
}

function parseRole(value: string | undefined): Role {
  if (value === undefined) return 'user';
  const role = ROLES.find((r) => r === value);
  if (role === undefined) throw new UsageError(`--role must be one of ${ROLES.join(', ')}, not '${value}'`);
  return role;
}

function read(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        account: { type: 'string' },
        user: { type: 'string' },
        agent: { type: 'string' },
        role: { type: 'string' },
        target: { type: 'string' },
        concurrency: { type: 'string' },
        'checkpoint-every': { type: 'string' },
        restart: { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean' },
      },
    });
  } catch (error) {
    throw new UsageError(`${messageOf(error)}\n${USAGE}`);
  }
}

/** Parses and validates the arguments; a UsageError names the first problem. */
export function parseBulkArgs(argv: readonly string[]): BulkArgs | 'help' {
  const { values, positionals } = read(argv);
  if (values.help === true) return 'help';
  if (positionals.length !== 1) throw new UsageError(`name exactly one folder or .jsonl file\n${USAGE}`);
  return {
    account: validateId(required(values.account, 'account'), '--account'),
    user: validateUserIdForRegistration(required(values.user, 'user'), '--user'),
    agent: validateAgentId(values.agent ?? 'default', '--agent'),
    role: parseRole(values.role),
    target: values.target,
    source: positionals[0] as string,
    concurrency: positiveInt(values.concurrency, 'concurrency', 8, 256),
    checkpointEvery: positiveInt(values['checkpoint-every'], 'checkpoint-every', 200, 1_000_000),
    restart: values.restart === true,
    json: values.json === true,
  };
}
