/** The process logger (pino: structured JSON lines). Silent under jest so tests stay quiet. */
import { pino } from 'pino';

const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
const fromEnv = process.env['LOG_LEVEL']?.trim();
// An invalid LOG_LEVEL must not crash at import: loadConfig reports it with a clear message.
const level =
  fromEnv !== undefined && LEVELS.has(fromEnv)
    ? fromEnv
    : process.env['NODE_ENV'] === 'test'
      ? 'silent'
      : 'info';

export const logger = pino({ level, base: { service: 'vikingscope' } });
export type Logger = typeof logger;
