/**
 * What the load runs against: four accounts, one per namespace policy combination, each with USER
 * keys; writers' identities (user key + agent) and where they write; generated documents of a few
 * sentences with a unique token; the preload and the wait for the indexer to drain.
 */
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import type { Api, Caller } from './client.js';

export interface Identity extends Caller {
  readonly account: string;
  readonly user: string;
  readonly agent: string;
}

export interface World {
  readonly root: Caller;
  /** Every USER identity (account × user × agent). */
  readonly identities: readonly Identity[];
}

const POLICIES = [
  { id: 'load-ff', isolate_user_scope_by_agent: false, isolate_agent_scope_by_user: false },
  { id: 'load-tf', isolate_user_scope_by_agent: true, isolate_agent_scope_by_user: false },
  { id: 'load-ft', isolate_user_scope_by_agent: false, isolate_agent_scope_by_user: true },
  { id: 'load-tt', isolate_user_scope_by_agent: true, isolate_agent_scope_by_user: true },
] as const;
const USERS = ['u1', 'u2', 'u3'];
const AGENTS = ['bot', 'helper'];

const keyAnswer = z.object({ result: z.object({ user_key: z.string() }) });

export async function createWorld(api: Api, rootKey: string): Promise<World> {
  const root: Caller = { key: rootKey };
  const identities: Identity[] = [];
  for (const policy of POLICIES) {
    const { id, ...flags } = policy;
    const created = await api.call('preload', root, 'POST', '/api/v1/admin/accounts', {
      account_id: id,
      admin_user_id: 'admin',
      ...flags,
    });
    if (created.status !== 200) throw new Error(`account ${id}: ${created.status}`);
    for (const user of USERS) {
      const res = await api.call('preload', root, 'POST', `/api/v1/admin/accounts/${id}/users`, {
        user_id: user,
        role: 'user',
      });
      if (res.status !== 200) throw new Error(`user ${id}/${user}: ${res.status}`);
      const key = keyAnswer.parse(res.body).result.user_key;
      for (const agent of AGENTS) identities.push({ key, account: id, user, agent });
    }
  }
  return { root, identities };
}

const VOCABULARY = (
  'agent memory session vector search index namespace policy resource skill instruction preference ' +
  'entity event pattern archive message overview abstract folder deploy budget travel invoice meeting ' +
  'roadmap customer contract release incident review design kernel garden river harbour lantern ' +
  'orchard copper violet thunder meadow signal beacon compass glacier canyon falcon quartz ember ' +
  'summit tide willow cobalt prism saffron tundra zephyr nebula atlas cedar delta fjord grove ' +
  'horizon island jasmine kestrel lagoon marble nectar opal pebble quiver raven sierra timber'
).split(' ');

/** A small deterministic generator, so runs are comparable. */
export class Words {
  private seed: number;

  constructor(seed: number) {
    this.seed = seed >>> 0 || 1;
  }

  next(n: number): number {
    this.seed = (Math.imul(this.seed, 1103515245) + 12345) >>> 0;
    return (this.seed >>> 8) % n;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.next(items.length)] as T;
  }

  words(n: number): string {
    return Array.from({ length: n }, () => this.pick(VOCABULARY)).join(' ');
  }

  /** A few sentences; the unique token (if any) inside the second one. */
  document(token: string | undefined): string {
    const sentences = Array.from({ length: 3 + this.next(3) }, () => {
      const text = this.words(8 + this.next(8));
      return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
    });
    if (token !== undefined) sentences.splice(1, 0, `Reference ${token} ${this.words(4)}.`);
    return sentences.join(' ');
  }
}

/** A unique lower-case alphanumeric word (the full-text index lower-cases and splits on the rest). */
export function uniqueToken(run: string, n: number): string {
  return `zq${run}x${n.toString(36)}`;
}

/** Where an identity's file `n` goes: half in shared resources, half in its own memories. */
export function fileOf(identity: Identity, client: string, n: number): { folder: string; uri: string } {
  const folder = n % 2 === 0 ? `viking://resources/load/${client}` : `viking://user/memories/load/${client}`;
  return { folder, uri: `${folder}/f${n}.md` };
}

/** Writes `count` documents spread over every identity with `concurrency` writers. */
export async function preload(
  api: Api,
  world: World,
  count: number,
  concurrency: number,
  progress: (done: number) => void,
): Promise<void> {
  let next = 0;
  let done = 0;
  const worker = async (w: number): Promise<void> => {
    const words = new Words(1000 + w);
    for (let n = next++; n < count; n = next++) {
      const identity = world.identities[n % world.identities.length] as Identity;
      const { uri } = fileOf(identity, `pre${n % 16}`, n);
      const res = await api.call('preload', identity, 'POST', '/api/v1/content/write', {
        uri,
        content: words.document(`pre${n}`),
      });
      if (res.status !== 200)
        throw new Error(`preload write ${uri}: ${res.status} ${JSON.stringify(res.body)}`);
      done += 1;
      if (done % 500 === 0) progress(done);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  if (done % 500 !== 0) progress(done);
}

const statusAnswer = z.object({
  result: z.object({ queue_depth: z.number(), index_lag_s: z.number().optional() }).loose(),
});

export interface IndexState {
  readonly queue_depth: number;
  readonly index_lag_s: number | undefined;
}

/** Queue depth and (when the server reports it) index lag, as ROOT sees them. */
export async function indexState(api: Api, world: World): Promise<IndexState | undefined> {
  const res = await api.call('check', world.root, 'GET', '/api/v1/system/status');
  const parsed = statusAnswer.safeParse(res.body);
  if (!parsed.success) return undefined;
  return { queue_depth: parsed.data.result.queue_depth, index_lag_s: parsed.data.result.index_lag_s };
}

/** Waits for the indexer to drain everything (ROOT's `POST /system/wait`, then the queue depth). */
export async function drain(api: Api, world: World, timeoutS: number): Promise<number> {
  const started = performance.now();
  const deadline = started + timeoutS * 1000;
  while (performance.now() < deadline) {
    await api.call('check', world.root, 'POST', '/api/v1/system/wait', { timeout: 60 });
    const state = await indexState(api, world);
    if (state !== undefined && state.queue_depth === 0) return (performance.now() - started) / 1000;
  }
  throw new Error(`the indexer did not drain within ${timeoutS} s`);
}
