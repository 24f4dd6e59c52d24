/**
 * The parity check (SPEC: retrieval visibility equals filesystem visibility) over a running app, for
 * a world of test/search/world.ts: for a caller, (a) every hit is readable by the same identity
 * through the filesystem API, (b) every document the identity may read is found by its unique token,
 * (c) no hit comes from another account — in every search mode. Used by the parity property test and
 * by the backup test (on the restored copy).
 */
import type { Express } from 'express';
import request from 'supertest';
import { allCallers, MODES, ROOT_KEY, type Account, type Caller, type Doc } from './world.js';

interface Hit {
  uri: string;
  level: number;
  abstract: string;
  context_type: string;
}

function as(caller: Caller, req: request.Test): request.Test {
  return req.set('X-API-Key', caller.key).set(caller.headers);
}

async function search(app: Express, caller: Caller, body: Record<string, unknown>): Promise<Hit[]> {
  const res = await as(caller, request(app).post('/api/v1/search/find')).send(body);
  if (res.status !== 200)
    throw new Error(`search ${JSON.stringify(body).slice(0, 80)}: ${res.status} ${JSON.stringify(res.body)}`);
  const r = (
    res.body as {
      result: Record<'memories' | 'resources' | 'skills' | 'sessions', Hit[]> & { total: number };
    }
  ).result;
  const hits = [...r.memories, ...r.resources, ...r.skills, ...r.sessions];
  expect(hits).toHaveLength(r.total);
  return hits;
}

/** What the filesystem lets `caller` read at a hit's URI (file text, or a folder's abstract/overview). */
async function readAsHit(app: Express, caller: Caller, hit: Hit): Promise<string | null> {
  const route = hit.level === 0 ? 'abstract' : hit.level === 1 ? 'overview' : 'read';
  const res = await as(caller, request(app).get(`/api/v1/content/${route}`).query({ uri: hit.uri }));
  return res.status === 200 ? String((res.body as { result: unknown }).result) : null;
}

/** Whether the filesystem lets `caller` read a document (in the caller's own account). */
async function fsReadable(app: Express, caller: Caller, doc: Doc): Promise<boolean> {
  if (doc.account !== caller.account) return false;
  const res = await as(caller, request(app).get('/api/v1/content/read').query({ uri: doc.uri }));
  if (res.status === 200) {
    expect(String((res.body as { result: unknown }).result)).toContain(doc.token);
    return true;
  }
  expect([403]).toContain(res.status);
  return false;
}

export async function checkCaller(
  app: Express,
  caller: Caller,
  docs: readonly Doc[],
  probes: readonly number[],
): Promise<void> {
  const byToken = new Map(docs.map((d) => [d.token, d]));
  const readable = new Set<string>();
  for (const doc of docs) if (await fsReadable(app, caller, doc)) readable.add(doc.token);
  const everyToken = docs.map((d) => d.token).join(' ');
  for (const mode of MODES) {
    const hits = await search(app, caller, { query: everyToken, limit: 1000, mode });
    const found = new Set<string>();
    for (const hit of hits) {
      const token = hit.abstract.split(' ')[0] ?? '';
      const doc = byToken.get(token);
      // (c) every hit is one of this run's documents, from the caller's own account.
      expect(doc?.account).toBe(caller.account);
      expect(hit.uri).toBe(doc?.hitUri);
      // (a) and readable by the same identity through the filesystem.
      expect(await readAsHit(app, caller, hit)).toContain(token);
      found.add(token);
    }
    // (b) everything the caller may read is found, nothing else: retrieval visibility = fs visibility.
    expect([...found].sort()).toEqual([...readable].sort());
  }
  // (b) by a single unique token, in the modes that match exact words.
  const readableDocs = docs.filter((d) => readable.has(d.token));
  for (const probe of probes.slice(0, 3)) {
    const doc = readableDocs[probe % Math.max(readableDocs.length, 1)];
    if (doc === undefined) break;
    for (const mode of ['fulltext', 'hybrid'] as const) {
      const hits = await search(app, caller, { query: doc.token, limit: 5, mode });
      expect(hits.map((h) => h.abstract.split(' ')[0])).toContain(doc.token);
    }
  }
}

/**
 * Waits for the index, then checks the callers `pickers` choose among every caller of `accounts`, and
 * that the post-retrieval re-check never had to drop a hit (the filter alone was right).
 */
export async function checkParity(
  app: Express,
  accounts: readonly Account[],
  docs: readonly Doc[],
  pickers: readonly number[],
  probes: readonly number[],
): Promise<void> {
  const waited = await request(app).post('/api/v1/system/wait').set('X-API-Key', ROOT_KEY).send({});
  expect(waited.status).toBe(200);
  const callers = allCallers(accounts);
  for (const pick of pickers) await checkCaller(app, callers[pick % callers.length] as Caller, docs, probes);
  const status = await request(app).get('/api/v1/system/status').set('X-API-Key', ROOT_KEY);
  expect((status.body as { result: { integrity_errors: number } }).result.integrity_errors).toBe(0);
}
