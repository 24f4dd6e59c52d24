/**
 * The fully wired service for end-to-end tests: `buildServices` on a temporary DATA_DIR with the
 * built-in embedder, `createApp(services)`, accounts and users created through the admin API
 * with real keys, and supertest agents that carry a caller's key and identity headers.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Express } from 'express';
import request from 'supertest';
import { z } from 'zod';
import { loadConfig } from '../../src/config.js';
import { createApp } from '../../src/http/app.js';
import type { Embedder } from '../../src/embedders/embedder.js';
import { logger } from '../../src/log.js';
import { buildServices, type Services } from '../../src/services.js';
import { createTestDatabase, type TestDatabase } from './pg.js';

export const ROOT_KEY = 'root-key-for-e2e-tests-0123456789abcdef';

export interface AccountSpec {
  readonly account_id: string;
  readonly isolate_user_scope_by_agent?: boolean;
  readonly isolate_agent_scope_by_user?: boolean;
  /** Registered as the account's ADMIN (default `admin`). */
  readonly admin?: string;
  /** Registered with role `user`. */
  readonly users?: readonly string[];
}

/** Who a client acts as: a registered user with their own key, or ROOT with these headers. */
export interface Caller {
  readonly account: string;
  readonly user: string;
  /** `X-OpenViking-Agent`; omitted means the server's `default`. */
  readonly agent?: string;
  /** Use the root key instead of the user's own key. */
  readonly root?: boolean;
}

export type Client = ReturnType<typeof request.agent>;

export interface FullApp {
  readonly services: Services;
  readonly app: Express;
  readonly dataDir: string;
  /** The key of a registered user (`keys.get('acme/alice')`). */
  readonly keys: ReadonlyMap<string, string>;
  /** A supertest agent sending the caller's key and identity headers on every request. */
  client(caller: Caller): Client;
  /** A supertest agent sending only the root key (admin and system routes). */
  root(): Client;
  /** Stops the services; removes the DATA_DIR unless `keepData`. */
  close(options?: { keepData?: boolean }): Promise<void>;
}

export interface FullAppOptions {
  readonly accounts?: readonly AccountSpec[];
  /** Reuse a DATA_DIR (restart tests); a new temporary one by default. */
  readonly dataDir?: string;
  /** Extra environment for loadConfig. */
  readonly env?: Readonly<Record<string, string>>;
  /** Replaces the configured embedder (a gated one for backlog tests). */
  readonly embedder?: Embedder;
  /**
   * Where the store of record lives: `local` files, or `pg` — distributed mode on a fresh PostgreSQL
   * database of its own, dropped by `close()` (default: `VS_TEST_BACKEND`, else `local`). A suite
   * runs on both backends through a second file that sets `VS_TEST_BACKEND=pg` and imports it.
   */
  readonly backend?: 'local' | 'pg';
}

/** The backend a suite runs on: the option, else `VS_TEST_BACKEND`. */
function backendOf(options: FullAppOptions): 'local' | 'pg' {
  const chosen = options.backend ?? process.env['VS_TEST_BACKEND'] ?? 'local';
  if (chosen !== 'local' && chosen !== 'pg') throw new Error(`VS_TEST_BACKEND: local or pg, not ${chosen}`);
  return chosen;
}

const keyResult = z.object({ result: z.object({ user_key: z.string().regex(/^[0-9a-f]{64}$/) }) });

export async function fullApp(options: FullAppOptions = {}): Promise<FullApp> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'vs-e2e-')));
  const db: TestDatabase | null =
    backendOf(options) === 'pg' ? await createTestDatabase({ migrated: false }) : null;
  const config = loadConfig({
    EMBEDDER: 'builtin',
    ...options.env,
    ...(db === null ? {} : { DATABASE_URL: db.url }),
    ROOT_API_KEY: ROOT_KEY,
    DATA_DIR: dataDir,
  });
  const dropDatabase = async (): Promise<void> => {
    await db?.drop();
  };
  const services = await buildServices(
    config,
    logger,
    options.embedder === undefined ? {} : { embedder: options.embedder },
  ).catch(async (error: unknown) => {
    await dropDatabase();
    throw error;
  });
  const app = createApp(services);
  const keys = new Map<string, string>();
  const root = (): Client => request.agent(app).set('X-API-Key', ROOT_KEY);
  try {
    for (const spec of options.accounts ?? []) await createAccount(root, spec, keys);
  } catch (error) {
    await services.close();
    await dropDatabase();
    if (options.dataDir === undefined) await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    services,
    app,
    dataDir,
    keys,
    root,
    client(caller: Caller): Client {
      const key = caller.root === true ? ROOT_KEY : keys.get(`${caller.account}/${caller.user}`);
      if (key === undefined) throw new Error(`no key for ${caller.account}/${caller.user}`);
      const agent = request
        .agent(app)
        .set('X-API-Key', key)
        .set('X-OpenViking-Account', caller.account)
        .set('X-OpenViking-User', caller.user);
      return caller.agent === undefined ? agent : agent.set('X-OpenViking-Agent', caller.agent);
    },
    async close({ keepData = false } = {}) {
      await services.close();
      await dropDatabase();
      if (!keepData) await rm(dataDir, { recursive: true, force: true });
      // A restart test reuses DATA_DIR; on PostgreSQL the store was the database, now dropped.
      if (db !== null && keepData) throw new Error('keepData: on PostgreSQL the store is the database');
    },
  };
}

async function createAccount(
  root: () => Client,
  spec: AccountSpec,
  keys: Map<string, string>,
): Promise<void> {
  const admin = spec.admin ?? 'admin';
  const created = await root()
    .post('/api/v1/admin/accounts')
    .send({
      account_id: spec.account_id,
      admin_user_id: admin,
      isolate_user_scope_by_agent: spec.isolate_user_scope_by_agent ?? false,
      isolate_agent_scope_by_user: spec.isolate_agent_scope_by_user ?? false,
    });
  if (created.status !== 200) throw new Error(`account ${spec.account_id}: ${created.status}`);
  keys.set(`${spec.account_id}/${admin}`, keyResult.parse(created.body).result.user_key);
  for (const user of spec.users ?? []) {
    const res = await root()
      .post(`/api/v1/admin/accounts/${spec.account_id}/users`)
      .send({ user_id: user, role: 'user' });
    if (res.status !== 200) throw new Error(`user ${spec.account_id}/${user}: ${res.status}`);
    keys.set(`${spec.account_id}/${user}`, keyResult.parse(res.body).result.user_key);
  }
}

/** Search results as the tests read them. */
export const hitSchema = z.object({
  context_type: z.string(),
  uri: z.string(),
  level: z.number(),
  score: z.number(),
  abstract: z.string(),
  match_reason: z.string(),
  session_id: z.string().optional(),
  message_id: z.string().optional(),
  role: z.string().optional(),
  role_id: z.string().optional(),
  peer_id: z.string().optional(),
});
export type Hit = z.infer<typeof hitSchema>;

const searchResultSchema = z.object({
  memories: z.array(hitSchema),
  resources: z.array(hitSchema),
  skills: z.array(hitSchema),
  sessions: z.array(hitSchema),
  total: z.number(),
  explain: z
    .object({ target_uri: z.string().nullable(), filter: z.string(), mode: z.string(), dropped: z.number() })
    .optional(),
});
export type SearchResult = z.infer<typeof searchResultSchema>;

/** Parses a 200 search response; throws with the body otherwise. */
export function searchResultOf(res: { status: number; body: unknown }): SearchResult {
  if (res.status !== 200) throw new Error(`search answered ${res.status}: ${JSON.stringify(res.body)}`);
  return searchResultSchema.parse(z.object({ result: z.unknown() }).parse(res.body).result);
}

/** Every hit of a result, in group order. */
export function allHits(result: SearchResult): Hit[] {
  return [...result.memories, ...result.resources, ...result.skills, ...result.sessions];
}

/** Runs a search as `client` and returns the URIs of every hit, sorted. */
export async function searchUris(client: Client, body: Record<string, unknown>): Promise<string[]> {
  const result = searchResultOf(await client.post('/api/v1/search/find').send(body));
  return allHits(result)
    .map((h) => h.uri)
    .sort();
}

/** The error code of an error envelope. */
export function errorCodeOf(res: { body: unknown }): string {
  return z.object({ error: z.object({ code: z.string() }) }).parse(res.body).error.code;
}
