/** The process logger (pino: structured JSON lines). Silent under jest so tests stay quiet. */
import { pino } from 'pino';

const level = process.env['LOG_LEVEL'] ?? (process.env['NODE_ENV'] === 'test' ? 'silent' : 'info');

export const logger = pino({ level, base: { service: 'vikingscope' } });
export type Logger = typeof logger;
