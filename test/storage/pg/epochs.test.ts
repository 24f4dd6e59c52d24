/**
 * The (account_id, epoch) fence of distributed mode (SPEC 14, issue 24), below the server: the
 * registry, the file tree, the journal and the index on one PostgreSQL, as two processes use them
 * (the deleting one has its own pool and index store, so the in-process purge fence cannot help).
 * Jobs are stamped with the epoch of the incarnation they will read; a job journaled under an old
 * epoch and applied after the account was re-created writes nothing; a batch that read the old
 * account's file before the delete cannot write it once the account was deleted, purged and
 * re-created elsewhere; without a registry's stamp nothing is fenced.
 */
import { IndexSync } from '../../../src/indexing/sync.js';
import type { Job } from '../../../src/indexing/queue.js';
import { PgIndexStore } from '../../../src/index/pg-store.js';
import { logger } from '../../../src/log.js';
import { canonicalUri, eq } from '../../../src/policy/index.js';
import { PgFileStorage } from '../../../src/storage/pg/files.js';
import { PgJournal } from '../../../src/storage/pg/journal.js';
import { createPool, type Pool } from '../../../src/storage/pg/pool.js';
import { PgRegistryStorage } from '../../../src/storage/pg/registry.js';
import { poolDatabase, type SqlDatabase } from '../../../src/storage/pg/sql.js';
import type { Embedder } from '../../../src/embedders/embedder.js';
import { GatedEmbedder } from '../../helpers/gated-embedder.js';
import { FALSE_FALSE } from '../../helpers/index-fixture.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/pg.js';
import { HashEmbedder } from '../../helpers/test-embedder.js';

const silent = logger.child({}, { level: 'silent' });
const GATE = 'gatetokenep';
const FILE = 'viking://resources/plans/secret.md';

let pg: TestDatabase;
/** The other process's pool (the one that deletes and re-creates the account). */
let otherPool: Pool;
let db: SqlDatabase;
let other: SqlDatabase;
let stores: PgIndexStore[] = [];

beforeAll(async () => {
  pg = await createTestDatabase();
  otherPool = createPool(pg.url, { applicationName: 'vikingscope-test-other' });
  db = poolDatabase(pg.pool);
  other = poolDatabase(otherPool);
});
afterAll(async () => {
  await otherPool.end();
  await pg.drop();
});
beforeEach(async () => {
  await db.query('TRUNCATE index_jobs, index_records, index_meta, users, files, accounts');
});
afterEach(async () => {
  await Promise.all(stores.map((s) => s.close()));
  stores = [];
});

async function openStore(on: SqlDatabase, embedder: Embedder): Promise<PgIndexStore> {
  const store = await PgIndexStore.open({ db: on, embedder, tombstones: false, log: silent });
  stores.push(store);
  return store;
}

/** Creates `acme` (again) in the registry with its root folder, through the other process. */
async function createAcme(): Promise<void> {
  const record = { account_id: 'acme', created_at: new Date().toISOString(), policy: FALSE_FALSE };
  await new PgRegistryStorage(otherPool).createAccount({ ...record, users: new Map() });
  await new PgFileStorage(otherPool).createRoot('acme');
}

/** Deletes `acme` (its files go in the same transaction) through the other process. */
const deleteAcme = (): Promise<unknown> => new PgRegistryStorage(otherPool).deleteAccount('acme');

const writeFile = (text: string): Promise<number> =>
  new PgFileStorage(otherPool).write('acme', FILE, Buffer.from(text), {
    mode: 'replace',
    maxBytes: 1 << 20,
  });

/** This process's indexer over the shared file tree. */
const indexer = (store: PgIndexStore, embedder: Embedder): IndexSync =>
  new IndexSync({
    files: new PgFileStorage(pg.pool),
    store,
    embedder,
    policyOf: () => Promise.resolve(FALSE_FALSE),
    messages: { message: () => Promise.resolve(null), messagesIn: () => [] },
    log: silent,
  });

/** Takes every job of the journal and applies them with `sync`; returns the jobs. */
async function applyAll(journal: PgJournal, sync: IndexSync): Promise<Job[]> {
  const entries = await journal.take(100);
  await sync.apply(entries.map((e) => e.job));
  await journal.ack(entries);
  return entries.map((e) => e.job);
}

/** The texts of acme's live records in PostgreSQL. */
async function acmeTexts(store: PgIndexStore): Promise<string[]> {
  return (await store.scan(eq('account_id', 'acme'))).map((r) => r.text);
}

const fileJob = (): Job => ({ type: 'file', account: 'acme', uri: canonicalUri(FILE) });

test('a job is stamped with the epoch of the incarnation it will read; without a registry, with none', async () => {
  const stamping = new PgJournal(db, { epochs: true });
  const plain = new PgJournal(db);
  const epochOfNext = async (): Promise<number | undefined> => {
    await stamping.append(fileJob());
    return (await stamping.pending()).at(-1)?.job.epoch;
  };
  expect(await epochOfNext()).toBe(1); // never created: its first incarnation is 1
  await createAcme();
  expect(await epochOfNext()).toBe(1);
  await deleteAcme();
  expect(await epochOfNext()).toBe(2); // deleted: only the next incarnation has content
  await createAcme();
  expect(await epochOfNext()).toBe(2);
  await plain.append(fileJob());
  expect((await plain.pending()).at(-1)?.job.epoch).toBeUndefined();
});

test('a job journaled under an old epoch and applied after re-creation writes nothing; a new one does', async () => {
  const embedder = new HashEmbedder();
  const store = await openStore(db, embedder);
  const journal = new PgJournal(db, { epochs: true, workerId: 'b' });
  const sync = indexer(store, embedder);
  await createAcme();
  await writeFile('zebracorp old plan');
  await journal.append(fileJob());

  await deleteAcme();
  await createAcme();
  await writeFile('zebracorp new tenant text');
  const [old] = await applyAll(journal, sync);
  expect(old?.epoch).toBe(1);
  expect(await acmeTexts(store)).toEqual([]);

  await journal.append(fileJob());
  const [fresh] = await applyAll(journal, sync);
  expect(fresh?.epoch).toBe(2);
  expect(await acmeTexts(store)).toEqual(['zebracorp new tenant text']);
});

test('a batch that read the old file cannot write it after another process deleted, purged and re-created the account', async () => {
  const gated = new GatedEmbedder();
  const store = await openStore(db, gated);
  const elsewhere = await openStore(other, gated);
  const journal = new PgJournal(db, { epochs: true, workerId: 'b' });
  await createAcme();
  await writeFile(`zebracorp old secret ${GATE}`);
  await journal.append(fileJob());

  gated.close(GATE);
  const applying = applyAll(journal, indexer(store, gated));
  await gated.reached(GATE); // read and embedding: the old content is in memory
  await deleteAcme();
  await elsewhere.purgeAccount('acme'); // after the deletion committed, as the server does
  await createAcme();
  gated.open(GATE);
  await applying;

  expect(await acmeTexts(store)).toEqual([]);
  expect(await acmeTexts(elsewhere)).toEqual([]);
});

test('jobs without an epoch (trusted and dev mode: no registry) are not fenced', async () => {
  const embedder = new HashEmbedder();
  const store = await openStore(db, embedder);
  const journal = new PgJournal(db, { workerId: 'b' });
  await createAcme();
  await writeFile('zebracorp old plan');
  await journal.append(fileJob());
  await deleteAcme();
  await createAcme();
  await writeFile('zebracorp unfenced');
  await applyAll(journal, indexer(store, embedder));
  expect(await acmeTexts(store)).toEqual(['zebracorp unfenced']);
});
