/** A real temporary LanceDB table of filter records, for checking compiled filters against the evaluator. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as lancedb from '@lancedb/lancedb';
import { Field, Float64, Schema, Utf8 } from 'apache-arrow';

export interface Row {
  id: string;
  account_id: string;
  scope: string;
  uri: string;
  owner_user_id: string | null;
  owner_agent_id: string | null;
  context_type?: string;
  level?: number;
}

const schema = new Schema([
  new Field('id', new Utf8(), false),
  new Field('account_id', new Utf8(), false),
  new Field('scope', new Utf8(), false),
  new Field('uri', new Utf8(), false),
  new Field('owner_user_id', new Utf8(), true),
  new Field('owner_agent_id', new Utf8(), true),
  new Field('context_type', new Utf8(), true),
  new Field('level', new Float64(), true),
]);

export interface TempTable {
  /** Ids of the rows matching a `where` string. */
  ids(where: string): Promise<Set<string>>;
  close(): void;
}

export async function createTempTable(rows: readonly Row[]): Promise<TempTable> {
  const dir = mkdtempSync(join(tmpdir(), 'vs-lance-'));
  const db = await lancedb.connect(dir);
  const data = rows.map((r) => ({ context_type: null, level: null, ...r }));
  const table = await db.createTable('records', data, { schema });
  return {
    async ids(where: string) {
      const out = await table.query().where(where).select(['id']).limit(1_000_000).toArray();
      return new Set(out.map((r: { id: string }) => r.id));
    },
    close() {
      table.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
