/**
 * One runner, four implementations of SPEC 3–4, each held to every case of the conformance table
 * (test/conformance/cases/namespace-cases.json, the repository's copy of the shared contract):
 *
 * 1. the evaluator — URI resolution, `canRead`, and `evaluate` of the visibility expression;
 * 2. LanceDB — the compiled filter on a real table, and the exact SQL per policy and role, pinned in
 *    golden-sql.json (`UPDATE_GOLDEN=1` rewrites it after a deliberate change);
 * 3. the filesystem — stat, read and write as the identity (filesystem.ts; on the local files here,
 *    on PostgreSQL in visibility-pg.test.ts);
 * 4. search — the search service over a real index store, with the in-memory plan and with
 *    LanceDB's exact plan: an identity finds exactly the records it may read.
 */
import { mkdir, readFileSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { AppError } from '../../src/errors.js';
import { createBuiltinEmbedder } from '../../src/embedders/builtin.js';
import { fileRecords, recordUriOfFile } from '../../src/indexing/records.js';
import { IndexStore } from '../../src/index/store.js';
import { logger } from '../../src/log.js';
import { canRead, compileWhere, evaluate, resolveUri, visibilityExpr } from '../../src/policy/index.js';
import { SearchService } from '../../src/search/service.js';
import { pathOfUri } from '../../src/storage/paths.js';
import { createTempTable, type Row } from '../helpers/lance-table.js';
import { tempDir } from '../helpers/temp-dir.js';
import { filesystemCases, vfsOver } from './filesystem.js';
import type { Vfs } from '../../src/fs/vfs.js';
import { localStorages } from '../../src/wiring/storages.js';
import { createTestFs, type TestFs } from '../helpers/vfs.js';
import {
  cases,
  contextOf,
  GOLDEN_SQL_FILE,
  groups,
  isValid,
  label,
  type Case,
  type Resolved,
} from './cases.js';

const ACCOUNT = 'acme';
const silent = logger.child({}, { level: 'silent' });

describe('the table', () => {
  test('several hundred cases over all four policies and three roles', () => {
    expect(cases.length).toBeGreaterThan(300);
    expect(new Set(cases.map((c) => JSON.stringify(c.policy))).size).toBe(4);
    expect(new Set(cases.map((c) => c.identity.role))).toEqual(new Set(['root', 'admin', 'user']));
  });
});

describe('1. evaluator', () => {
  test.each(cases.map((c, i) => [label(c, i), c] as const))('%s', (_name, c) => {
    const ctx = contextOf(c, ACCOUNT);
    if ('error' in c.expect) {
      let caught: unknown;
      try {
        resolveUri(c.uri, ctx.effective, c.policy);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(AppError);
      expect((caught as AppError).code).toBe(c.expect.error);
      return;
    }
    const r = resolveUri(c.uri, ctx.effective, c.policy);
    const resolved: Resolved = {
      canonical: r.uri,
      scope: r.scope ?? '',
      owner_user_id: r.owner_user_id,
      owner_agent_id: r.owner_agent_id,
      is_container: r.is_container,
      readable: canRead(ctx, r),
    };
    expect(resolved).toEqual(c.expect);
    // Canonical URIs resolve to themselves without an identity (what the indexer does).
    expect(resolveUri(r.uri, null, c.policy).uri).toBe(r.uri);
    // The expression search compiles says the same of a record at that URI.
    const record = { account_id: ACCOUNT, scope: resolved.scope, uri: r.uri, ...owners(resolved) };
    expect(evaluate(visibilityExpr(ctx), record)).toBe(c.expect.readable);
    expect(evaluate(visibilityExpr(ctx), { ...record, account_id: 'other' })).toBe(false);
  });
});

describe('2. LanceDB', () => {
  const golden = JSON.parse(readFileSync(GOLDEN_SQL_FILE, 'utf8')) as Record<string, string>;
  const compiled = Object.fromEntries(
    [...groups()].map(([key, [first]]) => [key, compileWhere(visibilityExpr(contextOf(first!.c, ACCOUNT)))]),
  );

  test('the compiled visibility SQL of each policy and role is exactly the golden one', () => {
    if (process.env['UPDATE_GOLDEN'] === '1') {
      writeFileSync(GOLDEN_SQL_FILE, `${JSON.stringify(compiled, null, 2)}\n`);
    }
    expect(compiled).toEqual(golden);
  });

  test.each([...groups()])(
    '%s: the compiled filter matches exactly the readable rows',
    async (_key, group) => {
      const ctx = contextOf(group[0]!.c, ACCOUNT);
      const rows: Row[] = [];
      for (const { c, i } of group) {
        if (!isValid(c)) continue;
        const row = { scope: c.expect.scope, uri: c.expect.canonical, ...owners(c.expect) };
        rows.push({ id: `acme-${i}`, account_id: ACCOUNT, ...row });
        // The same record in another account: never visible, not even to ROOT acting in acme.
        rows.push({ id: `other-${i}`, account_id: 'other', ...row });
      }
      const table = await createTempTable(rows);
      try {
        const found = await table.ids(compileWhere(visibilityExpr(ctx)));
        expect(found).toEqual(new Set(readable(group).map(({ i }) => `acme-${i}`)));
      } finally {
        table.close();
      }
    },
  );
});

describe('3. filesystem', () => {
  const makeDir = promisify(mkdir);
  let fs: TestFs;
  let vfs: Vfs;
  beforeAll(async () => {
    fs = await createTestFs();
    vfs = vfsOver(localStorages(fs.dataDir), fs.dataDir);
  });
  afterAll(() => fs.cleanup());

  // The local files: folders and session files are put on disk directly.
  filesystemCases(() => ({
    vfs,
    async place(account, resolved, isFolder, content) {
      const path = pathOfUri(fs.dataDir, account, resolved.uri);
      if (isFolder) await makeDir(path, { recursive: true });
      else {
        await makeDir(dirname(path), { recursive: true });
        await writeFile(path, content);
      }
      return { isDir: isFolder, content };
    },
  }));
});

describe('4. search', () => {
  const embedder = createBuiltinEmbedder();
  const dir = tempDir('vs-conformance-');
  let store: IndexStore;
  /** Each group of cases lives in its own account, with a copy of its records in `elsewhere`. */
  const accountOf = (n: number): string => `group${n}`;

  beforeAll(async () => {
    store = await IndexStore.open({ uri: dir.path, embedder, memoryBudgetBytes: 2 ** 28, log: silent });
    await store.whenLoaded();
    for (const [n, group] of [...groups().values()].entries()) {
      for (const account of [accountOf(n), 'elsewhere']) {
        const drafts = group
          .filter(({ c }) => isValid(c) && !c.expect.is_container)
          .flatMap(({ c, i }) =>
            fileRecords(account, (c.expect as Resolved).canonical, `conformance case ${i}`, c.policy, {
              created_at: 1,
              updated_at: 1,
            }),
          );
        const vectors = await embedder.embed(drafts.map((d) => d.text));
        await store.upsert(drafts.map((d, k) => ({ ...d, vector: vectors[k] as Float32Array })));
      }
    }
  });
  afterAll(async () => {
    await store.close();
    dir.remove();
  });

  const plans = ['auto', 'baseline'] as const;
  const table = plans.flatMap((plan) =>
    [...groups()].map(([key, group], n) => [key, plan, n, group] as const),
  );
  test.each(table)('%s, %s plan: finds exactly the readable records', async (_key, plan, n, group) => {
    const search = new SearchService({ index: store, embedder, log: silent, plan });
    const ctx = contextOf(group[0]!.c, accountOf(n));
    const result = await search.search(ctx, { query: 'conformance case', limit: 1000, mode: 'hybrid' });
    const found = [...result.memories, ...result.resources, ...result.skills, ...result.sessions].map(
      (h) => h.uri,
    );
    const expected = readable(group)
      .filter(({ c }) => !(c.expect as Resolved).is_container)
      .map(({ c }) => recordUriOfFile((c.expect as Resolved).canonical));
    expect(new Set(found)).toEqual(new Set(expected));
    expect(found).toHaveLength(new Set(found).size);
  });
});

function owners(r: Resolved): Pick<Row, 'owner_user_id' | 'owner_agent_id'> {
  return { owner_user_id: r.owner_user_id, owner_agent_id: r.owner_agent_id };
}

function readable(group: ReadonlyArray<{ c: Case; i: number }>): Array<{ c: Case; i: number }> {
  return group.filter(({ c }) => isValid(c) && c.expect.readable);
}
