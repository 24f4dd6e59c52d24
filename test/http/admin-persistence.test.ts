/** SPEC 6: the account registry survives restarts and concurrent registrations lose nothing. */
import request from 'supertest';
import { ROOT_KEY, keyOf, makeApp, removeDir, resultOf } from '../helpers/http-app.js';

const ADMIN = '/api/v1/admin';

describe('persistence and concurrency', () => {
  test('a restart on the same DATA_DIR keeps accounts, policies, users, roles and keys', async () => {
    const first = await makeApp();
    const made = await request(first.app)
      .post(`${ADMIN}/accounts`)
      .set('X-API-Key', ROOT_KEY)
      .send({ account_id: 'keep', admin_user_id: 'kim', isolate_user_scope_by_agent: true })
      .expect(200);
    const kimKey = keyOf(made);
    const lee = await request(first.app)
      .post(`${ADMIN}/accounts/keep/users`)
      .set('X-API-Key', kimKey)
      .send({ user_id: 'lee' })
      .expect(200);

    const second = await makeApp({ dataDir: first.dataDir });
    const res = await request(second.app).get(`${ADMIN}/accounts/keep`).set('X-API-Key', kimKey).expect(200);
    expect(resultOf(res)).toMatchObject({ user_count: 2, isolate_user_scope_by_agent: true });
    const me = await request(second.app).get('/api/v1/probe/whoami').set('X-API-Key', keyOf(lee));
    expect(me.status).toBe(200);
    expect(resultOf(me)).toEqual({
      role: 'user',
      effective: { account_id: 'keep', user_id: 'lee', agent_id: 'default' },
      policy: { isolate_user_scope_by_agent: true, isolate_agent_scope_by_user: false },
    });
    await removeDir(first.dataDir);
  });

  test('30 concurrent registrations in one account lose none', async () => {
    const t = await makeApp();
    const made = await request(t.app)
      .post(`${ADMIN}/accounts`)
      .set('X-API-Key', ROOT_KEY)
      .send({ account_id: 'busy', admin_user_id: 'boss' })
      .expect(200);
    const bossKey = keyOf(made);
    const ids = Array.from({ length: 30 }, (_, i) => `u${i}`);
    const results = await Promise.all(
      ids.map((user_id) =>
        request(t.app).post(`${ADMIN}/accounts/busy/users`).set('X-API-Key', bossKey).send({ user_id }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(ids.map(() => 200));

    const restarted = await makeApp({ dataDir: t.dataDir });
    const listed = await request(restarted.app)
      .get(`${ADMIN}/accounts/busy/users`)
      .set('X-API-Key', ROOT_KEY)
      .expect(200);
    expect((resultOf(listed) as { user_id: string }[]).map((u) => u.user_id).sort()).toEqual(
      ['boss', ...ids].sort(),
    );
    for (const r of results) {
      await request(restarted.app).get('/api/v1/probe/whoami').set('X-API-Key', keyOf(r)).expect(200);
    }
    await removeDir(t.dataDir);
  });

  test('concurrent creation of the same account: exactly one wins', async () => {
    const t = await makeApp();
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        request(t.app)
          .post(`${ADMIN}/accounts`)
          .set('X-API-Key', ROOT_KEY)
          .send({ account_id: 'race', admin_user_id: `a${i}` }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409, 409, 409]);
    await removeDir(t.dataDir);
  });
});
