/**
 * What the offline scripts (bulk indexer, re-index) share: their logger (stderr, so stdout carries
 * only results), the exit codes, and turning a thrown error into one clear line on stderr.
 */
import { pino } from 'pino';
import { ConfigError, type Config } from '../../src/config.js';
import { detailsOf, isAppError, messageOf } from '../../src/errors.js';
import type { Logger } from '../../src/log.js';

/** Exit codes of the scripts (documented in the README). */
export const EXIT = Object.freeze({
  ok: 0,
  /** A runtime error, or (bulk-index) some documents failed. */
  failed: 1,
  /** Bad arguments or configuration: nothing was written. */
  usage: 2,
  /** DATA_DIR is locked by a running server or another script. */
  locked: 3,
  /** Interrupted by SIGINT/SIGTERM (128 + 2). */
  interrupted: 130,
});

/** Bad arguments: reported with the usage text and exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * A pino logger on stderr. Unless LOG_LEVEL is set it only reports warnings, so the info lines of
 * the server's start-up do not bury a progress bar.
 */
export function scriptLogger(config: Config, env = process.env): Logger {
  const level = env['LOG_LEVEL']?.trim() ? config.logLevel : 'warn';
  return pino({ level, base: { service: 'vikingscope' } }, pino.destination(2));
}

/** The message and exit code for an error that ends a script. */
export function describeFailure(error: unknown): { message: string; code: number } {
  if (error instanceof UsageError || error instanceof ConfigError) {
    return { message: error.message, code: EXIT.usage };
  }
  if (isAppError(error) && detailsOf(error, 'FAILED_PRECONDITION')?.holder_pid !== undefined) {
    return {
      message: `${error.message}: stop the server (or the other script) using this DATA_DIR, then try again`,
      code: EXIT.locked,
    };
  }
  if (isAppError(error) && (error.code === 'INVALID_ARGUMENT' || error.code === 'INVALID_URI')) {
    return { message: error.message, code: EXIT.usage };
  }
  return { message: messageOf(error), code: EXIT.failed };
}

/** Runs a script's main function; an error becomes `<name>: <message>` on stderr and an exit code. */
export function runScript(name: string, main: () => Promise<number>): void {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      const { message, code } = describeFailure(error);
      process.stderr.write(`${name}: ${message}\n`);
      process.exitCode = code;
    },
  );
}

/** The number after flag `name` on the command line (`--rounds 200`), or `fallback` when it is absent. */
export function numberFlag(name: string, fallback: number, argv: readonly string[] = process.argv): number {
  const at = argv.indexOf(name);
  if (at < 0) return fallback;
  const value = Number(argv[at + 1]);
  if (!Number.isFinite(value)) throw new UsageError(`${name} needs a number`);
  return value;
}
