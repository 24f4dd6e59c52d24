/**
 * LISTEN on a PostgreSQL channel over a dedicated connection (a pooled one would be handed to
 * others), reconnecting after any loss. Notifications sent while disconnected are lost, so every
 * (re)connection is reported as a notification too: the listener re-reads what it follows.
 */
import pg from 'pg';
import { messageOf } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { Pool } from './pool.js';

export interface ListenOptions {
  readonly log?: Logger;
  /** Wait before reconnecting after a loss. */
  readonly retryMs?: number;
}

/**
 * Calls `onNotify` for every notification on `channel` and after every (re)connection; returns a
 * function that stops listening.
 * @example const stop = await listen(pool, 'registry_changed', () => reload());
 */
export async function listen(
  pool: Pool,
  channel: 'registry_changed' | (string & {}),
  onNotify: (payload: string | undefined) => void,
  options: ListenOptions = {},
): Promise<() => Promise<void>> {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`not a channel name: ${channel}`);
  const retryMs = options.retryMs ?? 1000;
  let client: pg.Client | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const retry = (): void => {
    if (stopped || timer !== undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      void connect();
    }, retryMs);
    timer.unref();
  };

  const connect = async (): Promise<void> => {
    const next = new pg.Client({
      ...pool.options,
      application_name: `${pool.options.application_name ?? 'vikingscope'}-listen`,
    });
    next.on('notification', (message) => {
      if (message.channel === channel) onNotify(message.payload);
    });
    // A lost connection: drop it and connect again later (`end` follows `error`, or comes alone).
    const lost = (error?: unknown): void => {
      if (client !== next) return;
      client = undefined;
      if (!stopped)
        options.log?.warn({ channel, err: messageOf(error ?? 'closed') }, 'LISTEN connection lost');
      void next.end().catch(() => undefined);
      retry();
    };
    next.on('error', lost);
    next.on('end', () => lost());
    try {
      client = next;
      await next.connect();
      await next.query(`LISTEN ${channel}`);
      if (stopped) {
        await next.end();
        return;
      }
      onNotify(undefined);
    } catch (error) {
      lost(error);
    }
  };

  await connect();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    const current = client;
    client = undefined;
    await current?.end().catch(() => undefined);
  };
}
