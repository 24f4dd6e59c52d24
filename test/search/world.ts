/**
 * A random multi-tenant world for the parity test: accounts with random policies, users with USER and
 * ADMIN keys, and documents with unique tokens written over HTTP into random scopes and sessions.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import type { Express } from 'express';
import request from 'supertest';
import type { NamespacePolicy } from '../../src/policy/index.js';

export const ROOT_KEY = 'parity-root-key-0123456789abcdef';
export const AGENTS = ['bot', 'helper'] as const;
export const MODES = ['vector', 'fulltext', 'hybrid'] as const;

export interface Account {
  id: string;
  policy: NamespacePolicy;
  admin: { user: string; key: string };
  users: Array<{ user: string; key: string }>;
}

/** Who writes (or searches): a key plus the identity headers it sends. */
export interface Caller {
  label: string;
  account: string;
  user: string;
  agent: string;
  key: string;
  /** Headers naming the effective identity (ROOT and ADMIN impersonation need them). */
  headers: Record<string, string>;
}

export interface Doc {
  token: string;
  account: string;
  /** The canonical URI holding the text: a file, or a session message. */
  uri: string;
  /** The URI its search hit carries: the folder for `.abstract.md`/`.overview.md` (levels 0/1). */
  hitUri: string;
  writer: Caller;
}

export interface DocPlan {
  writerIndex: number;
  asRoot: boolean;
  template: number;
  name: string;
  session: number;
}

export const planArb: fc.Arbitrary<{ policies: NamespacePolicy[]; docs: DocPlan[] }> = fc.record({
  policies: fc.array(
    fc.record({ isolate_user_scope_by_agent: fc.boolean(), isolate_agent_scope_by_user: fc.boolean() }),
    { minLength: 2, maxLength: 3 },
  ),
  docs: fc.array(
    fc.record({
      writerIndex: fc.nat(),
      asRoot: fc.boolean(),
      template: fc.nat({ max: 11 }),
      name: fc.constantFrom('a', 'b_c', "it's", '50%_off', 'x y', 'ünï'),
      session: fc.nat({ max: 1 }),
    }),
    { minLength: 8, maxLength: 24 },
  ),
});

/** A random lower-case word: distinct from every other token in full-text and in n-gram space. */
export function unique(prefix: string): string {
  const letters = randomBytes(10).reduce((word, byte) => word + String.fromCharCode(97 + (byte % 26)), '');
  return `${prefix}${letters}`;
}

export function callerHeaders(c: { account: string; user: string; agent: string }): Record<string, string> {
  return { 'X-OpenViking-Account': c.account, 'X-OpenViking-User': c.user, 'X-OpenViking-Agent': c.agent };
}

function result(res: request.Response, what: string): unknown {
  if (res.status !== 200) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
  return (res.body as { result: unknown }).result;
}

function ok(res: request.Response, what: string): Record<string, unknown> {
  return result(res, what) as Record<string, unknown>;
}

export async function createAccounts(app: Express, policies: readonly NamespacePolicy[]): Promise<Account[]> {
  const accounts: Account[] = [];
  for (const policy of policies) {
    const id = unique('acc');
    const created = ok(
      await request(app)
        .post('/api/v1/admin/accounts')
        .set('X-API-Key', ROOT_KEY)
        .send({ account_id: id, admin_user_id: 'admin1', ...policy }),
      'create account',
    );
    const users = [];
    for (const user of ['alice', 'bob']) {
      const added = ok(
        await request(app)
          .post(`/api/v1/admin/accounts/${id}/users`)
          .set('X-API-Key', ROOT_KEY)
          .send({ user_id: user, role: 'user' }),
        'add user',
      );
      users.push({ user, key: added['user_key'] as string });
    }
    accounts.push({ id, policy, admin: { user: 'admin1', key: created['user_key'] as string }, users });
  }
  return accounts;
}

/** Every identity that may act: USER keys, the ADMIN key as itself or impersonating, ROOT. */
export function allCallers(accounts: readonly Account[]): Caller[] {
  const callers: Caller[] = [];
  for (const a of accounts) {
    for (const agent of AGENTS) {
      for (const u of a.users) {
        const id = { account: a.id, user: u.user, agent };
        callers.push({
          label: `user ${u.user}/${agent}@${a.id}`,
          ...id,
          key: u.key,
          headers: { 'X-OpenViking-Agent': agent },
        });
        callers.push({
          label: `admin as ${u.user}/${agent}@${a.id}`,
          ...id,
          key: a.admin.key,
          headers: callerHeaders(id),
        });
        callers.push({
          label: `root as ${u.user}/${agent}@${a.id}`,
          ...id,
          key: ROOT_KEY,
          headers: callerHeaders(id),
        });
      }
      const self = { account: a.id, user: a.admin.user, agent };
      callers.push({
        label: `admin ${a.admin.user}/${agent}@${a.id}`,
        ...self,
        key: a.admin.key,
        headers: { 'X-OpenViking-Agent': agent },
      });
    }
  }
  return callers;
}

/** Raw URIs to write, unique per document (so nothing is overwritten); some are refused on purpose. */
const TEMPLATES: ReadonlyArray<(name: string, token: string) => string> = [
  (n, t) => `viking://resources/docs/${n}-${t}.md`,
  (n, t) => `viking://user/memories/preferences/${n}-${t}.md`,
  (n, t) => `viking://agent/skills/${n}-${t}.md`,
  (n, t) => `viking://agent/memories/cases/${n}-${t}.md`,
  // Another user's scope: 403 for USER callers, a shape error under an isolating user policy.
  (n, t) => `viking://user/bob/memories/${n}-${t}.md`,
  (n, t) => `viking://user/bob/agent/helper/memories/${n}-${t}.md`,
  // Folder records (level 0 and 1) are indexed under the folder's URI.
  (n, t) => `viking://resources/deep/${n}-${t}/.abstract.md`,
  (_n, t) => `viking://user/memories/${t}/.overview.md`,
  // Malformed: must be refused and never indexed.
  (n, t) => `viking://user/profile.md/../${n}-${t}`,
  () => 'message',
];

/** Writes the planned documents; returns those the API accepted. */
export async function writeDocs(
  app: Express,
  accounts: readonly Account[],
  plans: readonly DocPlan[],
): Promise<Doc[]> {
  const writers = allCallers(accounts).filter((c) => c.key !== ROOT_KEY);
  const docs: Doc[] = [];
  for (const plan of plans) {
    const base = writers[plan.writerIndex % writers.length] as Caller;
    const writer: Caller = plan.asRoot ? { ...base, key: ROOT_KEY, headers: callerHeaders(base) } : base;
    const token = unique('tok');
    const template = TEMPLATES[plan.template] ?? (() => 'message');
    const uri = template(plan.name, token);
    if (uri === 'message') {
      const session = `s${plan.session}`;
      const res = await request(app)
        .post(`/api/v1/sessions/${session}/messages`)
        .set('X-API-Key', writer.key)
        .set(writer.headers)
        .send({ role: 'user', content: `${token} said hello` });
      ok(res, 'add message');
      const uri = await messageUri(app, writer, session, token);
      docs.push({ token, account: writer.account, uri, hitUri: uri, writer });
      continue;
    }
    const res = await request(app)
      .post('/api/v1/content/write')
      .set('X-API-Key', writer.key)
      .set(writer.headers)
      .send({ uri, content: `${token} is the unique word of this document` });
    if (res.status === 200) {
      const canonical = ok(res, 'write')['uri'] as string;
      const folderRecord = /\/\.(abstract|overview)\.md$/.exec(canonical);
      const hitUri = folderRecord === null ? canonical : canonical.slice(0, folderRecord.index);
      docs.push({ token, account: writer.account, uri: canonical, hitUri, writer });
    } else if (res.status >= 500) throw new Error(`write ${uri}: ${res.status} ${JSON.stringify(res.body)}`);
  }
  return docs;
}

/** The URI of the message holding `token`, found in the session's log as ROOT. */
async function messageUri(app: Express, writer: Caller, session: string, token: string): Promise<string> {
  const log = result(
    await request(app)
      .get('/api/v1/content/read')
      .query({ uri: `viking://session/${session}/messages.jsonl` })
      .set('X-API-Key', ROOT_KEY)
      .set(callerHeaders(writer)),
    'read messages',
  );
  const line = String(log)
    .split('\n')
    .find((l) => l.includes(token));
  const id = line === undefined ? undefined : (JSON.parse(line) as { id: string }).id;
  if (id === undefined) throw new Error(`message ${token} not in the log`);
  return `viking://session/${session}/messages/${id}`;
}
