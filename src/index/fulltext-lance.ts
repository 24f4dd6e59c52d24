/**
 * Full-text search on LanceDB (the path used while the in-memory mirror is off, loading or over its
 * budget), answering exactly as the in-memory index does:
 * - LanceDB's full-text index is built to cut the words of the one tokenizer (memory/tokens.ts) from
 *   the searchable text the table holds (terms.ts): `simple` splitting on what is not a letter or a
 *   digit, lower-cased, no stemming, no stop words, no ASCII folding, and a token limit (in bytes)
 *   above that of the tokenizer (in characters). Its options are checked at open, and an index built
 *   with others (or over text of an older searchable form) is rebuilt.
 * - It only finds candidates: the records the request's filter admits that hold one of the query's
 *   words. Each is cut again by the tokenizer (a candidate it does not confirm is dropped) and scored
 *   with BM25 over the caller's view (memory/bm25.ts), never with LanceDB's own scores, whose
 *   statistics span the whole table: every tenant's records would move every other tenant's scores.
 */
import * as lancedb from '@lancedb/lancedb';
import { z } from 'zod';
import type { Logger } from '../log.js';
import { and, compileWhere, eq, HIT_COLUMNS, type Expr, type ScoredRow } from '../policy/index.js';
import { recordSchema, toArrowTable } from './arrow.js';
import { countTerms, rank, type Counted } from './memory/bm25.js';
import { MAX_TOKEN_CHARS, queryTerms } from './memory/tokens.js';
import { DRAFT_COLUMNS, parseDraft, parseHit } from './rows.js';
import { searchableText } from './terms.js';

/** LanceDB's tokenizer options that cut the tokenizer's words from searchable text. */
export const FTS_OPTIONS = {
  baseTokenizer: 'simple',
  lowercase: true,
  stem: false,
  removeStopWords: false,
  asciiFolding: false,
  withPosition: false,
  // LanceDB keeps tokens of fewer bytes than this; a word of 40 characters has at most 160.
  maxTokenLength: 4 * MAX_TOKEN_CHARS + 1,
} as const satisfies Partial<lancedb.FtsOptions>;

/** The options as LanceDB reports them (`listIndices`), which must all hold for an index to be kept. */
const FTS_DETAILS: Readonly<Record<string, unknown>> = {
  base_tokenizer: FTS_OPTIONS.baseTokenizer,
  lower_case: FTS_OPTIONS.lowercase,
  stem: FTS_OPTIONS.stem,
  remove_stop_words: FTS_OPTIONS.removeStopWords,
  ascii_folding: FTS_OPTIONS.asciiFolding,
  max_token_length: FTS_OPTIONS.maxTokenLength,
  split_identifiers: false,
  split_on_numerics: false,
};

/**
 * The full-text index's name, which records the searchable form of the text it was built over
 * (terms.ts; v2: NFKC and the `İ`/`ς` foldings). Change it when that form changes.
 */
export const FTS_INDEX_NAME = 'text_fts_v2';

/** The options of a new full-text index on `text`. */
export function ftsIndexOptions(): { config: lancedb.Index; name: string } {
  return { config: lancedb.Index.fts(FTS_OPTIONS), name: FTS_INDEX_NAME };
}

/** Whether an index is the full-text index this code builds. */
function current(index: lancedb.IndexConfig): boolean {
  const details: unknown = index.indexDetails;
  if (index.name !== FTS_INDEX_NAME || typeof details !== 'object' || details === null) return false;
  return Object.entries(FTS_DETAILS).every(
    ([key, value]) => (details as Record<string, unknown>)[key] === value,
  );
}

/**
 * Makes the table's full-text index the one this code builds: if it was built with other options or
 * over an older searchable form, the texts not in the current form are rewritten and the index is
 * rebuilt (at open, before anything reads or writes the table). Returns whether it rebuilt.
 */
export async function ensureFullTextIndex(
  table: lancedb.Table,
  embedder: { readonly id: string; readonly dimension: number },
  log: Logger,
): Promise<boolean> {
  const text = (await table.listIndices()).filter((i) => i.indexType === 'FTS' && i.columns[0] === 'text');
  if (text.length === 1 && current(text[0] as lancedb.IndexConfig)) return false;
  const started = Date.now();
  const rewritten = await refold(table, embedder);
  for (const index of text) await table.dropIndex(index.name);
  await table.createIndex('text', ftsIndexOptions());
  log.warn(
    { was: text.map((i) => i.name), rewritten, ms: Date.now() - started },
    'full-text index rebuilt with the current tokenizer options',
  );
  return true;
}

const staleRow = z.object({ id: z.string(), account_id: z.string(), uri: z.string(), text: z.string() });

/** Rewrites the records whose stored text is not in the current searchable form; returns how many. */
async function refold(
  table: lancedb.Table,
  embedder: { readonly id: string; readonly dimension: number },
): Promise<number> {
  const stale = new Map<string, Set<string>>();
  for await (const batch of table.query().select(['id', 'account_id', 'uri', 'text'])) {
    for (const raw of batch.toArray() as unknown[]) {
      const row = staleRow.parse({ ...(raw as object) });
      if (searchableText(row.text) !== row.text) stale.set(`${row.account_id}\n${row.uri}`, new Set());
    }
  }
  const schema = recordSchema(embedder.id, embedder.dimension);
  for (const key of stale.keys()) {
    const [account_id = '', uri = ''] = key.split('\n');
    const rows: unknown[] = await table
      .query()
      .where(compileWhere(and(eq('account_id', account_id), eq('uri', uri))))
      .select([...DRAFT_COLUMNS, 'vector'])
      .toArray();
    const records = rows.map((raw) => {
      const draft = parseDraft(raw);
      const vector = Float32Array.from((raw as { vector: Iterable<number> }).vector);
      return { ...draft, text: searchableText(draft.text), vector };
    });
    await table
      .mergeInsert('id')
      .whenMatchedUpdateAll()
      .execute(toArrowTable(schema, records, embedder.dimension));
  }
  return stale.size;
}

/**
 * The k best BM25 matches of the query's words among the records matching `filter` (statistics over
 * those records: memory/bm25.ts), best first, equal scores by id — the in-memory index's answer.
 * Every admitted record holding a query word is read (its text cut again): exact, not top-k of
 * LanceDB's ranking, which uses other statistics. Rows stay in Arrow form; only the k best become
 * hits.
 */
export async function lanceFullText(
  table: lancedb.Table,
  query: string,
  filter: Expr,
  k: number,
): Promise<ScoredRow[]> {
  const terms = queryTerms(query);
  if (terms.length === 0 || k <= 0) return [];
  const where = compileWhere(filter);
  const n = await table.countRows(where);
  if (n === 0) return [];
  // At most n records match (a write landing between the count and the query can only be missed).
  const rows = await table
    .query()
    .fullTextSearch(new lancedb.MatchQuery(terms.join(' '), 'text'))
    .where(where)
    .select([...HIT_COLUMNS, 'text', '_score'])
    .limit(n)
    .toArrow();
  const ids = rows.getChild('id');
  const texts = rows.getChild('text');
  const position = new Map(terms.map((term, j) => [term, j]));
  const matches: Array<Counted<number>> = [];
  for (let i = 0; i < rows.numRows; i++) {
    const counted = countTerms(i, z.string().parse(ids?.get(i)), z.string().parse(texts?.get(i)), position);
    if (counted !== null) matches.push(counted);
  }
  return rank(matches, terms.length, n, k).map(({ item, score }) => ({
    ...parseHit(rows.get(item)),
    _score: score,
  }));
}
