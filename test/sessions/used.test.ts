/**
 * POST /api/v1/sessions/{id}/used end to end: OpenViking's answer shape and running totals, only
 * readable URIs recorded (400 malformed, 403 not visible, 404 unknown session, nothing written on
 * refusal), and the commit that archives the usages with the turns and makes them searchable.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorCodeOf, fullApp, searchResultOf, type FullApp } from '../helpers/full-app.js';
import { at, resultOf } from '../helpers/http-app.js';

const ALICE = { account: 'acme', user: 'alice', agent: 'bot' };
const BOB = { account: 'acme', user: 'bob', agent: 'bot' };

describe('sessions/{id}/used', () => {
  let t: FullApp;
  const sessionDir = (): string => join(t.dataDir, 'fs', 'acme', 'session', 'turn1');
  beforeAll(async () => {
    t = await fullApp({ accounts: [{ account_id: 'acme', users: ['alice', 'bob'] }] });
    await t.client(ALICE).post('/api/v1/sessions').send({ session_id: 'turn1' }).expect(200);
    await t
      .client(ALICE)
      .post('/api/v1/content/write')
      .send({ uri: 'viking://user/memories/private.md', content: 'alice only' })
      .expect(200);
  });
  afterAll(() => t.close());

  test('an empty body records nothing and answers the totals', async () => {
    const res = await t.client(ALICE).post('/api/v1/sessions/turn1/used').send({}).expect(200);
    expect(resultOf(res)).toEqual({ session_id: 'turn1', contexts_used: 0, skills_used: 0 });
  });

  test('refusals write nothing', async () => {
    const used = (who: typeof ALICE, id: string, body: object) =>
      t.client(who).post(`/api/v1/sessions/${id}/used`).send(body);
    expect(
      errorCodeOf(await used(BOB, 'turn1', { contexts: ['viking://user/alice/memories/private.md'] })),
    ).toBe('PERMISSION_DENIED');
    expect(errorCodeOf(await used(ALICE, 'turn1', { contexts: ['viking://nowhere/x'] }))).toBe('INVALID_URI');
    expect(errorCodeOf(await used(ALICE, 'turn1', { contexts: 'viking://resources/a' }))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(errorCodeOf(await used(ALICE, 'turn1', { skill: { input: 'no uri' } }))).toBe('INVALID_ARGUMENT');
    // A valid first URI does not get recorded when a later one is refused.
    const mixed = await used(BOB, 'turn1', {
      contexts: ['viking://resources/ok.md', 'viking://user/alice/memories/private.md'],
    });
    expect(mixed.status).toBe(403);
    expect((await used(ALICE, 'no-such-session', {})).status).toBe(404);
    await expect(readFile(join(sessionDir(), '.used.jsonl'), 'utf8')).rejects.toThrow();
  });

  test('usages are counted, archived by commit with the turn, and found by search', async () => {
    await t
      .client(ALICE)
      .post('/api/v1/sessions/turn1/messages')
      .send({ role: 'user', content: 'How do we ship?' })
      .expect(200);
    const res = await t
      .client(ALICE)
      .post('/api/v1/sessions/turn1/used')
      .send({
        contexts: ['viking://resources/quokka-runbook.md', 'viking://user/memories/private.md'],
        skill: { uri: 'viking://agent/skills/deployer', input: 'ship', output: 'done', success: true },
      })
      .expect(200);
    expect(resultOf(res)).toEqual({ session_id: 'turn1', contexts_used: 2, skills_used: 1 });
    const meta = await t.client(ALICE).get('/api/v1/sessions/turn1').expect(200);
    expect(resultOf(meta)).toMatchObject({ contexts_used: 2, skills_used: 1 });

    const commit = await t.client(ALICE).post('/api/v1/sessions/turn1/commit').send({}).expect(200);
    const archive = at(commit, 'archive_uri');
    expect(archive).toBe('viking://session/turn1/history/archive_001');
    const archived = await readFile(join(sessionDir(), 'history', 'archive_001', '.used.jsonl'), 'utf8');
    expect(
      archived
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { uri: string }).uri),
    ).toEqual([
      'viking://resources/quokka-runbook.md',
      'viking://user/alice/memories/private.md',
      'viking://agent/bot/skills/deployer',
    ]);
    expect(await readFile(join(sessionDir(), '.used.jsonl'), 'utf8')).toBe('');
    const overview = await t
      .client(ALICE)
      .get('/api/v1/content/overview')
      .query({ uri: 'viking://session/turn1/history/archive_001' })
      .expect(200);
    expect(resultOf(overview)).toContain('- context viking://resources/quokka-runbook.md');
    expect(resultOf(overview)).toContain('- skill viking://agent/bot/skills/deployer');

    await t.client(ALICE).post('/api/v1/system/wait').send({}).expect(200);
    const found = searchResultOf(await t.client(ALICE).post('/api/v1/search/find').send({ query: 'quokka' }));
    expect(found.sessions.map((h) => h.uri)).toContain('viking://session/turn1/history/archive_001');
  });
});
