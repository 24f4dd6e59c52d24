import { listen } from '../../../src/storage/pg/listen.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/pg.js';

async function within(ms: number, check: () => boolean | Promise<boolean>): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > ms) throw new Error(`not seen within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('listen: a LISTEN connection that survives its loss', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createTestDatabase({ migrated: false, pool: { applicationName: 'vs-listen-test' } });
  });
  afterEach(async () => {
    await db.drop();
  });

  const listeners = async () =>
    (
      await db.pool.query<{ pid: number }>(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'vs-listen-test-listen'",
      )
    ).rows;

  test('notifications arrive; a connection killed by the server is replaced and reported', async () => {
    const heard: (string | undefined)[] = [];
    const stop = await listen(db.pool, 'things_changed', (payload) => heard.push(payload), { retryMs: 100 });
    try {
      // Connecting counts as a notice: whatever happened before is re-read.
      expect(heard).toEqual([undefined]);
      await db.pool.query("SELECT pg_notify('things_changed', 'one')");
      await db.pool.query("SELECT pg_notify('other_channel', 'no')");
      await within(1000, () => heard.includes('one'));

      const [victim] = await listeners();
      await db.pool.query('SELECT pg_terminate_backend($1)', [victim?.pid]);
      await within(2000, async () => {
        const now = await listeners();
        return now.length === 1 && now[0]?.pid !== victim?.pid;
      });
      await within(1000, () => heard.filter((p) => p === undefined).length === 2);
      await db.pool.query("SELECT pg_notify('things_changed', 'two')");
      await within(1000, () => heard.includes('two'));
      expect(heard).not.toContain('no');
    } finally {
      await stop();
    }
    await within(1000, async () => (await listeners()).length === 0);
  });

  test('a channel that is not a plain name is refused (it is spliced into LISTEN)', async () => {
    await expect(listen(db.pool, 'x; DROP TABLE y', () => undefined)).rejects.toThrow('not a channel name');
  });
});
