/**
 * The mixed load of issue 11: writers (new files with unique tokens), session-message posters and
 * searchers run together for a fixed time; a sample of acknowledged writes is probed until its token
 * is findable (index lag); afterwards every acknowledged write is checked once.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { Api } from './client.js';
import { fileOf, uniqueToken, Words, type Identity, type World } from './world.js';

export interface Acked {
  readonly identity: Identity;
  readonly folder: string;
  readonly uri: string;
  readonly token: string;
  /** performance.now() of the acknowledgement. */
  readonly at: number;
}

export interface MixedResult {
  readonly acked: Acked[];
  readonly messages: number;
  readonly searchMs: number[];
  /** Seconds from acknowledgement to findable, for the probed writes that became findable. */
  readonly lags: number[];
  /** Probes still not findable when probing stopped: their lag is at least this many seconds. */
  readonly unresolved: number[];
  /** performance.now() when the load stopped. */
  readonly endedAt: number;
}

export interface MixedOptions {
  readonly seconds: number;
  readonly writers: number;
  readonly posters: number;
  readonly searchers: number;
  /** Probe one acknowledged write in `probeEvery`, with at most `maxProbes` probes at once. */
  readonly probeEvery: number;
  readonly maxProbes: number;
  /** Keep probing this long after the load stops. */
  readonly probeGraceS: number;
  readonly run: string;
  /** Each writer overwrites files 0 … files−1 in turn instead of writing new ones (undefined: new). */
  readonly files: number | undefined;
}

const hitList = z.array(z.object({ uri: z.string() }).loose());
const searchAnswer = z.object({
  result: z.object({ memories: hitList, resources: hitList, skills: hitList, sessions: hitList }).loose(),
});

/** The URIs a search answer lists (empty for anything but a well-formed 200). */
export function hitUris(body: unknown): Set<string> {
  const parsed = searchAnswer.safeParse(body);
  if (!parsed.success) return new Set();
  const { memories, resources, skills, sessions } = parsed.data.result;
  return new Set([...memories, ...resources, ...skills, ...sessions].map((h) => h.uri));
}

/** The canonical URI of a file written through shorthand (what search returns). */
function canonical(uri: string, identity: Identity, isolatedByAgent: boolean): string {
  const prefix = 'viking://user/memories/';
  if (!uri.startsWith(prefix)) return uri;
  const scope = isolatedByAgent
    ? `viking://user/${identity.user}/agent/${identity.agent}`
    : `viking://user/${identity.user}`;
  return `${scope}/memories/${uri.slice(prefix.length)}`;
}

/** Whether the account isolates user scopes by agent (named by the world's account ids). */
const userScopeByAgent = (account: string): boolean => account === 'load-tf' || account === 'load-tt';

export function canonicalOf(acked: Pick<Acked, 'identity' | 'uri'>): string {
  return canonical(acked.uri, acked.identity, userScopeByAgent(acked.identity.account));
}

/** The last acknowledged write of each file (an overwritten file only has its last content to find). */
export function latestPerFile(acked: readonly Acked[]): Acked[] {
  const last = new Map<string, Acked>();
  for (const write of acked) last.set(`${write.identity.account} ${canonicalOf(write)}`, write);
  return [...last.values()];
}

export async function runMixed(
  api: Api,
  world: World,
  options: MixedOptions,
  progress: (state: { acked: number; messages: number; searches: number }) => void,
): Promise<MixedResult> {
  const started = performance.now();
  const stopAt = started + options.seconds * 1000;
  const probeUntil = stopAt + options.probeGraceS * 1000;
  const running = (): boolean => performance.now() < stopAt;
  const acked: Acked[] = [];
  const searchMs: number[] = [];
  const lags: number[] = [];
  const unresolved: number[] = [];
  const probes = new Set<Promise<void>>();
  let messages = 0;
  let written = 0;

  const probe = async (write: Acked): Promise<void> => {
    const target = canonicalOf(write);
    while (performance.now() < probeUntil) {
      const res = await api.call(
        'probe',
        write.identity,
        'POST',
        '/api/v1/search/find',
        { query: write.token, mode: 'fulltext', target_uri: write.folder, limit: 5 },
        { until: probeUntil },
      );
      if (hitUris(res.body).has(target)) {
        lags.push((performance.now() - write.at) / 1000);
        return;
      }
      await sleep(100);
    }
    unresolved.push((probeUntil - write.at) / 1000);
  };

  const writer = async (w: number): Promise<void> => {
    const words = new Words(7000 + w);
    const client = `w${w}`;
    for (let n = 0; running(); n++) {
      const identity = world.identities[(w + n * options.writers) % world.identities.length] as Identity;
      const { folder, uri } = fileOf(identity, client, options.files === undefined ? n : n % options.files);
      const token = uniqueToken(options.run, w * 1_000_000 + n);
      const res = await api.call(
        'writer',
        identity,
        'POST',
        '/api/v1/content/write',
        { uri, content: words.document(token) },
        { until: stopAt },
      );
      if (res.status !== 200) continue;
      const write: Acked = { identity, folder, uri, token, at: performance.now() };
      acked.push(write);
      written += 1;
      if (written % options.probeEvery === 0 && probes.size < options.maxProbes) {
        const p = probe(write).finally(() => probes.delete(p));
        probes.add(p);
      }
    }
  };

  const poster = async (p: number): Promise<void> => {
    const words = new Words(9000 + p);
    const identity = world.identities[p % world.identities.length] as Identity;
    const created = await api.call('session', identity, 'POST', '/api/v1/sessions', {});
    const id = z.object({ result: z.object({ session_id: z.string() }).loose() }).safeParse(created.body);
    if (!id.success) throw new Error(`could not create a session: ${created.status}`);
    const path = `/api/v1/sessions/${encodeURIComponent(id.data.result.session_id)}/messages`;
    while (running()) {
      const res = await api.call(
        'session',
        identity,
        'POST',
        path,
        { role: 'user', content: words.document(undefined) },
        { until: stopAt },
      );
      if (res.status === 200) messages += 1;
    }
  };

  const searcher = async (s: number): Promise<void> => {
    const words = new Words(11000 + s);
    while (running()) {
      const identity = words.pick(world.identities);
      const res = await api.call(
        'searcher',
        identity,
        'POST',
        '/api/v1/search/find',
        { query: words.words(2 + words.next(2)), limit: 10 },
        { until: stopAt },
      );
      if (res.status === 200) searchMs.push(res.ms);
    }
  };

  const timer = setInterval(
    () => progress({ acked: acked.length, messages, searches: searchMs.length }),
    5000,
  );
  try {
    await Promise.all([
      ...Array.from({ length: options.writers }, (_, i) => writer(i)),
      ...Array.from({ length: options.posters }, (_, i) => poster(i)),
      ...Array.from({ length: options.searchers }, (_, i) => searcher(i)),
    ]);
  } finally {
    clearInterval(timer);
  }
  const endedAt = performance.now();
  await Promise.all([...probes]);
  return { acked, messages, searchMs, lags, unresolved, endedAt };
}
