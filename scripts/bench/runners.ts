/**
 * The in-process query paths the benchmark measures: `SearchService` with an embedder that maps the
 * query text `q:<n>` to query n's vector (vectors given directly, so ground truth applies), as the
 * default service (`planned`) and forced onto the previous release's path (`baseline`).
 */
import type { Embedder } from '../../src/embedders/embedder.js';
import type { IndexStore } from '../../src/index/store.js';
import type { Logger } from '../../src/log.js';
import { SearchService, type SearchDeps, type SearchResult } from '../../src/search/service.js';
import type { Answer, Runner } from './measure.js';
import type { BenchQuery } from './queries.js';
import { DIM } from './rng.js';

/** An embedder that maps `q:<index>` to that query's vector: the benchmark gives vectors directly. */
function lookupEmbedder(queries: readonly BenchQuery[]): Embedder {
  return {
    id: 'bench:lookup',
    dimension: DIM,
    embed: (texts) =>
      Promise.resolve(
        texts.map((t) => {
          const q = queries[Number(t.slice(2))];
          if (!t.startsWith('q:') || q === undefined) throw new Error(`unknown benchmark query ${t}`);
          return q.vector;
        }),
      ),
  };
}

/** `explain.plan`: its name, matching count and the time of each stage of the vector query. */
function planOf(result: SearchResult): Pick<Answer, 'plan' | 'matching' | 'stages_ms'> {
  const plan = result.explain?.plan;
  return {
    plan: plan?.name ?? 'unknown',
    matching: plan?.matching ?? null,
    stages_ms: plan?.stages_ms ?? {},
  };
}

function serviceRunner(service: SearchService): Runner {
  return async (q: BenchQuery): Promise<Answer> => {
    const request = {
      query: `q:${q.index}`,
      target_uri: q.target,
      limit: 10,
      mode: 'vector',
      explain: true,
    } as const;
    const result = await service.search(q.ctx, request);
    const hits = [...result.memories, ...result.resources, ...result.skills, ...result.sessions];
    return { uris: hits.map((h) => h.uri), ...planOf(result) };
  };
}

/** The default service, and one forced onto the previous release's path (`plan: 'baseline'`). */
export function variants(
  store: IndexStore,
  queries: readonly BenchQuery[],
  log: Logger,
): Record<'planned' | 'baseline', Runner> {
  const deps: SearchDeps = { index: store, embedder: lookupEmbedder(queries), log };
  const baseline: SearchDeps = { ...deps, plan: 'baseline' };
  return {
    planned: serviceRunner(new SearchService(deps)),
    baseline: serviceRunner(new SearchService(baseline)),
  };
}
