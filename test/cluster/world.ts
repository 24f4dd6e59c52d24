/**
 * What the cluster tests share: a cluster of real server processes (src/main.ts under the tests'
 * loader) on a fresh PostgreSQL database, an HTTP client for its members, and a small world of two
 * accounts whose identities must each find exactly what they may read, on every member.
 */
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { Cluster, type ClusterOptions } from '../../scripts/lib/cluster.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

export const ROOT_KEY = randomBytes(24).toString('hex');
const ENTRY = ['--import', './test/helpers/ts-register.mjs', 'src/main.ts'];

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: { result?: unknown; error?: { code?: string; message?: string } | null } | null;
}

/** One API call; a refused connection is status 0 (a member that is down). */
export async function call(
  base: string,
  key: string,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<Answer> {
  try {
    const response = await fetch(`${base}/api/v1${path}`, {
      method,
      headers: { 'X-API-Key': key, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    let parsed: Answer['body'] = null;
    try {
      parsed = JSON.parse(text) as Answer['body'];
    } catch {
      parsed = null;
    }
    return { status: response.status, headers: response.headers, body: parsed };
  } catch {
    return { status: 0, headers: new Headers(), body: null };
  }
}

/** The call's result, or a thrown error naming the status and error. */
export async function ok<T>(answer: Promise<Answer>): Promise<T> {
  const { status, body } = await answer;
  if (status !== 200) throw new Error(`HTTP ${status}: ${JSON.stringify(body)}`);
  return body?.result as T;
}

export interface TestCluster {
  readonly db: TestDatabase;
  readonly cluster: Cluster;
  readonly dir: string;
  close(): Promise<void>;
}

/** A cluster of `processes` members on a fresh, unmigrated database (the members migrate it). */
export async function startTestCluster(
  processes: number,
  options: Partial<Pick<ClusterOptions, 'env' | 'envOf' | 'together'>> & {
    databaseUrl?: (db: TestDatabase) => string;
  } = {},
): Promise<TestCluster> {
  const db = await createTestDatabase({ migrated: false });
  const dir = await mkdtemp(join(tmpdir(), 'vs-cluster-'));
  let cluster: Cluster;
  try {
    cluster = await Cluster.start({
      processes,
      databaseUrl: options.databaseUrl?.(db) ?? db.url,
      dataDir: dir,
      entry: ENTRY,
      together: options.together ?? false,
      env: {
        NODE_OPTIONS: '',
        ROOT_API_KEY: ROOT_KEY,
        EMBEDDER: 'builtin',
        LOG_LEVEL: 'warn',
        HOST: '127.0.0.1',
        ...options.env,
      },
      ...(options.envOf === undefined ? {} : { envOf: options.envOf }),
      startTimeoutMs: 120_000,
    });
  } catch (error) {
    await db.drop();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    db,
    cluster,
    dir,
    close: async () => {
      await cluster.stop();
      await db.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `check` until it holds or `ms` pass; resolves to the ms it took, or rejects naming `what`. */
export async function eventually(what: string, check: () => Promise<boolean>, ms: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > ms) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface Keys {
  readonly alice: string;
  readonly bob: string;
  readonly carol: string;
}

/** Accounts `acme` (alice admin, bob user; user scope split by agent) and `beta` (carol admin). */
export async function createWorld(base: string): Promise<Keys> {
  const acme = await ok<{ user_key: string }>(
    call(base, ROOT_KEY, 'POST', '/admin/accounts', {
      account_id: 'acme',
      admin_user_id: 'alice',
      isolate_user_scope_by_agent: true,
    }),
  );
  const beta = await ok<{ user_key: string }>(
    call(base, ROOT_KEY, 'POST', '/admin/accounts', { account_id: 'beta', admin_user_id: 'carol' }),
  );
  const bob = await ok<{ user_key: string }>(
    call(base, acme.user_key, 'POST', '/admin/accounts/acme/users', { user_id: 'bob' }),
  );
  return { alice: acme.user_key, bob: bob.user_key, carol: beta.user_key };
}

/** The URIs `key` finds for `query` on `base` (every mode's hits, deduplicated). */
export async function found(base: string, key: string, query: string): Promise<Set<string>> {
  const answer = await call(base, key, 'POST', '/search/find', { query, limit: 100, mode: 'fulltext' });
  if (answer.status !== 200)
    throw new Error(`search on ${base}: HTTP ${answer.status} ${JSON.stringify(answer.body)}`);
  const result = answer.body?.result as Record<
    'resources' | 'memories' | 'skills' | 'sessions',
    { uri: string }[]
  >;
  return new Set(
    [...result.resources, ...result.memories, ...result.skills, ...result.sessions].map((h) => h.uri),
  );
}
