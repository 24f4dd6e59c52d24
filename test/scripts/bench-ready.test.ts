/**
 * The benchmark's readiness after the load (`ready_after_load_s`, scripts/bench/load.ts): it waits
 * for the compaction, then until every class's probe answers in full and with the exact top 10 — a
 * full answer of the wrong records is not "searchable".
 */
import { readyAfterLoad } from '../../scripts/bench/load.js';
import type { Answer } from '../../scripts/bench/measure.js';
import type { BenchQuery } from '../../scripts/bench/queries.js';

const probe = (index: number, cls: BenchQuery['cls'], matching: number) =>
  ({ index, cls, matching }) as unknown as BenchQuery;
const exact = (q: BenchQuery) =>
  Array.from({ length: Math.min(10, q.matching) }, (_, i) => `q${q.index}-${i}`);
const answer = (uris: readonly string[]): Answer => ({ uris, plan: 'memory', matching: null, stages_ms: {} });

test('ready waits for optimize and the mirror rebuild, then for full answers holding the exact top 10', async () => {
  const events: string[] = [];
  const store = {
    optimize: () => Promise.resolve(void events.push('optimize')),
    whenLoaded: () => Promise.resolve(void events.push('mirror')),
  };
  const probes = [probe(0, 'user', 500), probe(1, 'session', 3)];
  let round = 0;
  const run = (q: BenchQuery) => {
    events.push(`probe ${q.cls}`);
    if (q.index === 0) round++;
    // Round 1: the user probe is full but holds other records; round 2: the session probe is short.
    if (round === 1 && q.index === 0) return Promise.resolve(answer(exact(q).map((u) => `${u}-other`)));
    if (round === 2 && q.index === 1) return Promise.resolve(answer(exact(q).slice(0, 2)));
    return Promise.resolve(answer(exact(q)));
  };
  const seconds = await readyAfterLoad(store, probes, run, exact, performance.now(), () => undefined);
  expect(events).toEqual([
    'optimize',
    'mirror',
    ...['probe user', 'probe session'],
    ...['probe user', 'probe session'],
    ...['probe user', 'probe session'],
  ]);
  expect(seconds).toBeGreaterThanOrEqual(2);
}, 20_000);
