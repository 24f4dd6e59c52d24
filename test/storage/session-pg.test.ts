/**
 * The shared SessionStorage suite on PostgreSQL (distributed mode), each "process" with its own
 * pool, and what only PostgreSQL adds: per-session `seq` numbers without gaps under concurrent
 * appends from several pools, an atomic commit, and an unreachable database answered as UNAVAILABLE.
 */
import { createPool, type Pool } from '../../src/storage/pg/pool.js';
import { PgSessionStorage } from '../../src/storage/pg/sessions.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { message, sessionSuite } from './session-suite.js';

sessionSuite('PostgreSQL (distributed mode)', async () => {
  const db = await createTestDatabase();
  const pools: Pool[] = [createPool(db.url)];
  return {
    storage: new PgSessionStorage(db.pool),
    peer: new PgSessionStorage(pools[0] as Pool),
    reopen: () => {
      const pool = createPool(db.url);
      pools.push(pool);
      return Promise.resolve(new PgSessionStorage(pool));
    },
    close: async () => {
      await Promise.all(pools.map((pool) => pool.end()));
      await db.drop();
    },
  };
});

describe('sessions in PostgreSQL shared by several processes', () => {
  let db: TestDatabase;
  const pools: Pool[] = [];
  const process = () => {
    const pool = createPool(db.url);
    pools.push(pool);
    return new PgSessionStorage(pool);
  };

  beforeEach(async () => {
    db = await createTestDatabase();
  });
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((pool) => pool.end()));
    await db.drop();
  });

  test('60 concurrent appends from three pools: seq 0..59 without gaps, in the order of the answered counts', async () => {
    const storages = [process(), process(), process()];
    const batches = Array.from({ length: 60 }, (_, i) => message(`m${i}`));
    const counts = await Promise.all(
      batches.map((m, i) => (storages[i % 3] as PgSessionStorage).append('acme', 's1', 'alice', [m])),
    );
    const { rows } = await db.pool.query<{ seq: string; message_id: string }>(
      "SELECT seq, message_id FROM messages WHERE account_id = 'acme' AND session_id = 's1' ORDER BY seq",
    );
    expect(rows.map((row) => Number(row.seq))).toEqual(Array.from({ length: 60 }, (_, i) => i));
    // The append answered count k stored its message under seq k - 1.
    const seqOf = new Map(rows.map((row) => [row.message_id, Number(row.seq)]));
    batches.forEach((m, i) => expect(seqOf.get(m.id)).toBe((counts[i] ?? 0) - 1));
    const next = await db.pool.query<{ next_seq: string }>(
      "SELECT next_seq FROM sessions WHERE account_id = 'acme' AND session_id = 's1'",
    );
    expect(next.rows).toEqual([{ next_seq: '60' }]);
  });

  test('a commit that fails part way changes nothing: messages live, usages pending, meta as before', async () => {
    const s = process();
    await s.append('acme', 's1', 'alice', [message('one'), message('two')]);
    await s.recordUsages('acme', 's1', 'alice', [
      { uri: 'viking://resources/a.md', type: 'context', user_id: 'alice', timestamp: 't' },
    ]);
    const before = await s.meta('acme', 's1');
    // The archive's files are stored after its row and before the messages move: fail there.
    await db.pool.query(`
      CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'disk full (simulated)'; END $$;
      CREATE TRIGGER refuse BEFORE INSERT ON session_archive_files FOR EACH ROW EXECUTE FUNCTION refuse();`);
    await expect(s.commit('acme', 's1', 'alice', 0, {})).rejects.toThrow('disk full (simulated)');
    expect(await s.archiveNumbers('acme', 's1')).toEqual([]);
    expect(await s.liveMessages('acme', 's1')).toHaveLength(2);
    expect(await s.meta('acme', 's1')).toEqual(before);
    const usages = await db.pool.query('SELECT 1 FROM session_usages');
    expect(usages.rowCount).toBe(1);

    await db.pool.query('DROP TRIGGER refuse ON session_archive_files');
    expect(await s.commit('acme', 's1', 'alice', 0, {})).toBe('archive_001');
    expect(await s.liveMessages('acme', 's1')).toEqual([]);
    expect((await db.pool.query('SELECT 1 FROM session_usages')).rowCount).toBe(0);
  });

  test('invalid ids never reach a statement', async () => {
    const s = process();
    await expect(s.append('acme', "s1' OR '1'='1", 'alice', [message('x')])).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(s.list('../acme')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect((await db.pool.query('SELECT 1 FROM sessions')).rowCount).toBe(0);
  });

  test('a database that cannot be reached is UNAVAILABLE (503), for reads and writes', async () => {
    const dead = createPool('postgres://postgres@127.0.0.1:1/none', { connectionTimeoutMs: 1000 });
    pools.push(dead);
    const s = new PgSessionStorage(dead);
    await expect(s.append('acme', 's1', 'alice', [message('x')])).rejects.toMatchObject({
      code: 'UNAVAILABLE',
    });
    await expect(s.meta('acme', 's1')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await expect(s.commit('acme', 's1', 'alice', 0, {})).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });
});
