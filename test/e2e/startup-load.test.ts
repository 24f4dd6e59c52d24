/**
 * A restarted server accepts writes while its in-memory mirror loads (issue 22, defect 8): the load no
 * longer holds the write lock, a `wait` write is searchable at once (LanceDB's exact path answers until
 * the mirror has caught up), and the loaded mirror holds what was written meanwhile.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import request from 'supertest';
import { Mirror } from '../../src/index/mirror.js';
import { fullApp, searchUris, type Client } from '../helpers/full-app.js';

const MEMORY = { SEARCH_MEMORY_MB: '64' };

afterEach(() => jest.restoreAllMocks());

test('writes during a paused mirror load are accepted, found with wait, and held by the mirror once loaded', async () => {
  const first = await fullApp({ accounts: [{ account_id: 'acme' }], env: MEMORY });
  const key = first.keys.get('acme/admin') as string;
  const as = (t: { app: Parameters<typeof request.agent>[0] }): Client =>
    request
      .agent(t.app)
      .set('X-API-Key', key)
      .set('X-OpenViking-Account', 'acme')
      .set('X-OpenViking-User', 'admin');
  await as(first)
    .post('/api/v1/content/write')
    .send({ uri: 'viking://resources/old.md', content: 'quokkaword before restart', wait: true })
    .expect(200);
  await first.close({ keepData: true });
  // As after a crash: no snapshot of the mirror (a graceful close writes one), so it loads the table.
  rmSync(join(first.dataDir, 'cache', 'mirror-snapshot'), { recursive: true, force: true });

  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the mirror as `this`
  const realLoad = Mirror.prototype.load;
  jest.spyOn(Mirror.prototype, 'load').mockImplementationOnce(async function (this: Mirror, batches) {
    await gate;
    return realLoad.call(this, batches);
  });
  const second = await fullApp({ dataDir: first.dataDir, env: MEMORY });
  try {
    const admin = as(second);
    expect(second.services.store.memoryStatus()).toMatchObject({ state: 'loading' });
    await admin
      .post('/api/v1/content/write')
      .send({
        uri: 'viking://resources/new.md',
        content: 'quokkaword during the load',
        wait: true,
        timeout: 20,
      })
      .expect(200);
    const both = ['viking://resources/new.md', 'viking://resources/old.md'];
    expect(await searchUris(admin, { query: 'quokkaword', mode: 'fulltext' })).toEqual(both);
    expect(second.services.store.memoryStatus()).toMatchObject({ state: 'loading' });

    release();
    await second.services.store.whenLoaded();
    expect(second.services.store.memoryStatus()).toMatchObject({ state: 'ready' });
    expect(await searchUris(admin, { query: 'quokkaword', mode: 'fulltext' })).toEqual(both);
    expect(await searchUris(admin, { query: 'quokkaword', mode: 'vector' })).toEqual(both);
  } finally {
    release();
    await second.close();
  }
});
