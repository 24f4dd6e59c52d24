/**
 * The HTTP part of the benchmark: the benchmark's accounts and users registered through the account
 * store (USER keys), the real app served on an ephemeral port, and a runner that sends a class's
 * queries to `POST /api/v1/search/find` with the same identities (query text through the embedder).
 */
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { AccountStore } from '../../src/accounts/store.js';
import { clusterText, type Layout } from './corpus.js';
import type { Answer, Runner } from './measure.js';
import type { BenchQuery } from './queries.js';

/** Creates the accounts with their policies and every user; returns each user's key by user index. */
export async function registerTenants(accounts: AccountStore, layout: Layout): Promise<Map<number, string>> {
  const keys = new Map<number, string>();
  await Promise.all(
    layout.accounts.map(async (account) => {
      await accounts.createAccount(account.id, 'admin', account.policy);
      for (const user of account.users) {
        keys.set(user, await accounts.addUser(account.id, layout.users[user]!.id, 'user'));
      }
    }),
  );
  return keys;
}

export interface Server {
  readonly base: string;
  close(): Promise<void>;
}

export async function serve(app: Express): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        base: `http://127.0.0.1:${port}`,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
    server.once('error', reject);
  });
}

const GROUPS = ['memories', 'resources', 'skills', 'sessions'] as const;

interface FindResponse {
  result?: Partial<Record<(typeof GROUPS)[number], Array<{ uri: string }>>>;
}

/** A JSON POST of `body` to `path` with `key`, as the identity of query `q`. */
export function postAs(
  base: string,
  path: string,
  key: string,
  q: BenchQuery,
  body: unknown,
): Promise<Response> {
  const { effective } = q.ctx;
  return fetch(`${base}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-api-key': key,
      'x-openviking-account': effective.account_id,
      'x-openviking-user': effective.user_id,
      'x-openviking-agent': effective.agent_id,
    },
    body: JSON.stringify(body),
  });
}

/** Sends a query as its identity: USER classes with the user's key, ROOT classes with the root key. */
export function httpRunner(
  base: string,
  rootKey: string,
  userKeys: ReadonlyMap<number, string>,
  mode: 'vector' | 'hybrid' = 'vector',
): Runner {
  return async (q: BenchQuery): Promise<Answer> => {
    const { effective, role } = q.ctx;
    const key = role === 'root' ? rootKey : userKeys.get(q.user);
    if (key === undefined) throw new Error(`no key for ${effective.user_id}`);
    const body = { query: clusterText(q.centroid), limit: 10, mode, target_uri: q.target };
    const response = await postAs(base, '/api/v1/search/find', key, q, body);
    const text = await response.text();
    if (!response.ok) throw new Error(`HTTP ${response.status} for a ${q.cls} query: ${text.slice(0, 300)}`);
    const { result } = JSON.parse(text) as FindResponse;
    const hits = GROUPS.flatMap((group) => result?.[group] ?? []);
    return { uris: hits.map((h) => h.uri), plan: 'http', matching: null, stages_ms: {} };
  };
}
