/**
 * Records for the shared `SearchIndex` cases (search-index-cases.ts): built by hand so each case
 * controls the fields a filter tests, the text full-text search cuts and the vector's angle to the
 * query, with owner fields derived from the URI as the indexer derives them (the search service's
 * post-retrieval check accepts them).
 */
import type { Embedder } from '../../src/embedders/embedder.js';
import { fileRecords } from '../../src/indexing/records.js';
import { ABSTRACT_CHARS, DEFAULT_POLICY, type IndexRecord } from '../../src/policy/index.js';

export const DIMENSION = 8;

/** The query vector of the vector cases: the first axis. */
export const QUERY = axis(0);

export function axis(i: number): Float32Array {
  const v = new Float32Array(DIMENSION);
  v[i] = 1;
  return v;
}

/**
 * A unit vector at `angle` radians from {@link QUERY} (cosine distance `1 - cos(angle)`), turned
 * towards axis `towards` (1..7), so records at the same angle can still differ.
 */
export function atAngle(angle: number, towards = 1): Float32Array {
  const v = new Float32Array(DIMENSION);
  v[0] = Math.cos(angle);
  v[towards] = Math.sin(angle);
  return v;
}

export interface RecordSpec {
  readonly account?: string | undefined;
  readonly uri: string;
  readonly text: string;
  readonly vector: Float32Array;
  /** 2 by default (a file chunk); 0 and 1 are folder records (give the folder's URI). */
  readonly level?: number;
  readonly chunk?: number;
  /** `updated_at` and `created_at` (epoch ms; default 1,000). */
  readonly at?: number;
}

/** One index record as the indexer would build it for `spec` (id: account, URI, level and chunk). */
export function record(spec: RecordSpec): IndexRecord {
  const account = spec.account ?? 'acme';
  const level = spec.level ?? 2;
  const chunk_index = spec.chunk ?? 0;
  const at = spec.at ?? 1000;
  // A file's record gives the URI's scope and owners; level and chunk are set below.
  const [base] = fileRecords(account, spec.uri, 'x', DEFAULT_POLICY, { created_at: at, updated_at: at });
  if (base === undefined) throw new Error(`no record for ${spec.uri}`);
  return {
    ...base,
    id: `${account}|${spec.uri}|${level}|${chunk_index}`,
    level,
    chunk_index,
    text: spec.text,
    abstract: spec.text.trim().slice(0, ABSTRACT_CHARS),
    vector: spec.vector,
  };
}

/** `n` files `viking://resources/<prefix><i>.md` at angles `first + i * step`, texts from `text(i)`. */
export function files(
  n: number,
  prefix: string,
  options: { account?: string; first?: number; step?: number; text?: (i: number) => string } = {},
): IndexRecord[] {
  const { first = 0.1, step = 0.01, text = (i: number) => `file ${prefix} number${i}` } = options;
  return Array.from({ length: n }, (_, i) =>
    record({
      account: options.account,
      uri: `viking://resources/${prefix}${i}.md`,
      text: text(i),
      vector: atAngle(first + i * step, 1 + (i % (DIMENSION - 1))),
    }),
  );
}

/**
 * A small varied world: files in two accounts, memories of a user, a folder's abstract and overview,
 * a sibling folder whose name extends another's (`docs` / `docs2`) and records at three times.
 */
export function world(): IndexRecord[] {
  const out: IndexRecord[] = [];
  for (const account of ['acme', 'beta']) {
    const shift = account === 'acme' ? 0 : 0.005;
    out.push(
      record({
        account,
        uri: 'viking://resources/docs/a.md',
        text: 'alpha beta gamma',
        vector: atAngle(0.1 + shift),
        at: 1000,
      }),
      record({
        account,
        uri: 'viking://resources/docs/b.md',
        text: 'alpha alpha delta',
        vector: atAngle(0.2 + shift, 2),
        at: 2000,
      }),
      record({
        account,
        uri: 'viking://resources/docs2/c.md',
        text: 'alpha epsilon',
        vector: atAngle(0.3 + shift, 3),
        at: 3000,
      }),
      record({
        account,
        uri: 'viking://resources/docs',
        level: 0,
        text: 'docs folder abstract alpha',
        vector: atAngle(0.4 + shift, 4),
      }),
      record({
        account,
        uri: 'viking://resources/docs',
        level: 1,
        text: 'docs folder overview',
        vector: atAngle(0.5 + shift, 5),
      }),
      record({
        account,
        uri: 'viking://user/alice/memories/m1.md',
        text: 'alice likes gamma',
        vector: atAngle(0.6 + shift, 6),
      }),
      record({
        account,
        uri: 'viking://user/alice/memories/m2.md',
        text: 'alice prefers delta tea',
        vector: atAngle(0.7 + shift, 7),
      }),
    );
  }
  return out;
}

/** An embedder that maps every text to {@link QUERY} (search-service cases: the records set the angles). */
export const axisEmbedder: Embedder = {
  id: 'test:axis',
  dimension: DIMENSION,
  embed: (texts) => Promise.resolve(texts.map(() => QUERY)),
};
