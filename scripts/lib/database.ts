/**
 * A PostgreSQL database for a script's run: the load's server in distributed mode (`--database-url
 * URL` or `DATABASE_URL`) and the PostgreSQL benchmarks. A URL naming no database
 * (`postgres://user@host:5432`) gets a fresh one, created for the run and dropped after it, so every
 * run starts from an empty store.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface LoadDatabase {
  /** What the server gets as DATABASE_URL. */
  readonly url: string;
  /** The URL with its password hidden, for the log. */
  readonly shown: string;
  drop(): Promise<void>;
}

async function admin(base: URL, sql: string): Promise<void> {
  const url = new URL(base);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Where the benchmarks create their databases: TEST_DATABASE_URL_BASE, as the tests do. */
export const BENCH_DATABASE_BASE = (
  process.env['TEST_DATABASE_URL_BASE'] ?? 'postgres://postgres@127.0.0.1:5432'
).replace(/\/+$/, '');

export async function openDatabase(given: string): Promise<LoadDatabase> {
  const url = new URL(given);
  const hide = (u: URL): string => u.toString().replace(/:[^:@/]*@/, ':…@');
  if (url.pathname !== '' && url.pathname !== '/') {
    return { url: url.toString(), shown: hide(url), drop: () => Promise.resolve() };
  }
  // A name of hex digits only: nothing to quote.
  const name = `vs_load_${randomBytes(6).toString('hex')}`;
  await admin(url, `CREATE DATABASE ${name}`);
  const fresh = new URL(url);
  fresh.pathname = `/${name}`;
  return {
    url: fresh.toString(),
    shown: `${hide(fresh)} (created for this run)`,
    drop: () => admin(url, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}
