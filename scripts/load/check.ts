/**
 * After the load: is every acknowledged write findable? Writes are checked in groups (same identity
 * and folder, up to 20 unique tokens in one full-text query); a write its group did not return is
 * checked once more on its own, so the count does not depend on how the index combines words.
 */
import type { Api } from './client.js';
import { canonicalOf, hitUris, type Acked } from './mixed.js';

const GROUP = 20;

function groups(acked: readonly Acked[]): Acked[][] {
  const byFolder = new Map<string, Acked[]>();
  for (const write of acked) {
    const key = `${write.identity.key}|${write.identity.agent}|${write.folder}`;
    const list = byFolder.get(key) ?? [];
    list.push(write);
    byFolder.set(key, list);
  }
  const chunks: Acked[][] = [];
  for (const list of byFolder.values()) {
    for (let i = 0; i < list.length; i += GROUP) chunks.push(list.slice(i, i + GROUP));
  }
  return chunks;
}

async function found(api: Api, writes: readonly Acked[]): Promise<Set<string>> {
  const first = writes[0];
  if (first === undefined) return new Set();
  const res = await api.call('check', first.identity, 'POST', '/api/v1/search/find', {
    query: writes.map((w) => w.token).join(' '),
    mode: 'fulltext',
    target_uri: first.folder,
    limit: writes.length * 4,
  });
  return hitUris(res.body);
}

/** The acknowledged writes that search does not find, checked with `concurrency` queries at once. */
export async function notFindable(api: Api, acked: readonly Acked[], concurrency: number): Promise<Acked[]> {
  const chunks = groups(acked);
  const missing: Acked[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < chunks.length; i = next++) {
      const chunk = chunks[i] ?? [];
      const hits = await found(api, chunk);
      for (const write of chunk) {
        if (hits.has(canonicalOf(write))) continue;
        if (!(await found(api, [write])).has(canonicalOf(write))) missing.push(write);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, () => worker()));
  return missing;
}
