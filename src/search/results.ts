/**
 * The answer's shape: ranked hits grouped by context type (memories, resources, skills, sessions),
 * each with the columns callers see and a session message's `peer_id`, looked up per session.
 */
import type { Ranked } from './fuse.js';
import type { Hit, IndexHit, SearchResult } from './types.js';

/** The `peer_id`s of some messages of a session (kept with the messages, not in the index). */
export type PeersOf = (
  account_id: string,
  session_id: string,
  message_ids: readonly string[],
) => Promise<ReadonlyMap<string, string>>;

const GROUP: Record<string, keyof Omit<SearchResult, 'total' | 'explain'>> = {
  memory: 'memories',
  resource: 'resources',
  skill: 'skills',
  session: 'sessions',
};

/** `peer_id` of the message hits that have one, by record id (one lookup per session). */
export async function peersOfHits(
  peersOf: PeersOf | undefined,
  account_id: string,
  hits: readonly Ranked<IndexHit>[],
): Promise<Map<string, string>> {
  const peers = new Map<string, string>();
  if (peersOf === undefined) return peers;
  const bySession = new Map<string, Array<{ readonly id: string; readonly message_id: string }>>();
  for (const { item } of hits) {
    const { id, session_id, message_id } = item;
    if (session_id === null || message_id === null) continue;
    bySession.set(session_id, [...(bySession.get(session_id) ?? []), { id, message_id }]);
  }
  await Promise.all(
    [...bySession].map(async ([session_id, items]) => {
      const found = await peersOf(
        account_id,
        session_id,
        items.map((i) => i.message_id),
      );
      for (const { id, message_id } of items) {
        const peer = found.get(message_id);
        if (peer !== undefined) peers.set(id, peer);
      }
    }),
  );
  return peers;
}

/** The hits grouped by context type, in rank order within each group. */
export function group(ranked: readonly Ranked<IndexHit>[], peers: ReadonlyMap<string, string>): SearchResult {
  const result: SearchResult = { memories: [], resources: [], skills: [], sessions: [], total: 0 };
  for (const entry of ranked) {
    result[GROUP[entry.item.context_type] ?? 'resources'].push(toHit(entry, peers.get(entry.item.id)));
    result.total += 1;
  }
  return result;
}

function toHit({ item, score, reasons }: Ranked<IndexHit>, peer: string | undefined): Hit {
  const hit: Hit = {
    context_type: item.context_type,
    uri: item.uri,
    level: item.level,
    score,
    abstract: item.abstract,
    match_reason: reasons.join('+'),
  };
  if (item.session_id !== null) hit.session_id = item.session_id;
  if (item.message_id !== null) hit.message_id = item.message_id;
  if (item.role !== null) hit.role = item.role;
  if (item.role_id !== null) hit.role_id = item.role_id;
  if (peer !== undefined) hit.peer_id = peer;
  return hit;
}
