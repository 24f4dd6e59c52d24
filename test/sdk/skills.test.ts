/**
 * Issue 26, skills: `listSkills`, `findSkills`, `getSkill`, `validateSkill`, `updateSkill` and
 * `deleteSkill` of OpenViking's TypeScript SDK, sent exactly as it sends them, answer with its shapes;
 * a skill of another user's or another agent's scope is invisible and unwritable through them. Also
 * the SDK's `watches` and `git*` calls: 501 UNIMPLEMENTED naming the feature, not a 404.
 */
import request from 'supertest';
import { errorCodeOf, fullApp, type FullApp } from '../helpers/full-app.js';
import { at, resultOf } from '../helpers/http-app.js';
import { sdk } from './sdk-requests.js';

const ALICE = { account: 'acme', user: 'alice', agent: 'bot' };
const ALICE_OTHER_AGENT = { account: 'acme', user: 'alice', agent: 'helper' };
const BOB = { account: 'acme', user: 'bob', agent: 'bot' };
const ALICE_SKILLS = 'viking://agent/bot/user/alice/skills';
const TEA = {
  name: 'brew-tea',
  description: 'Brews oolong tea for the user',
  content: '# Brew\n\nBoil water.',
};
const COFFEE = { name: 'grind-coffee', description: 'Grinds coffee beans', content: '# Grind\n\nFine.' };

let t: FullApp;
beforeAll(async () => {
  t = await fullApp({
    accounts: [{ account_id: 'acme', isolate_agent_scope_by_user: true, users: ['alice', 'bob'] }],
  });
  for (const data of [TEA, COFFEE]) {
    await t.client(ALICE).post('/api/v1/skills').send({ data, wait: true }).expect(200);
  }
});
afterAll(() => t.close());

const names = (res: { body: unknown }): unknown[] =>
  (at(res, 'skills') as Array<{ name: string }>).map((s) => s.name).sort();

describe('the SDK skills calls', () => {
  test('listSkills lists the caller’s skills with their summaries', async () => {
    const res = await sdk(t.client(ALICE)).listSkills().expect(200);
    expect(resultOf(res)).toEqual({
      root_uris: [ALICE_SKILLS],
      total: 2,
      skills: expect.arrayContaining([
        {
          type: 'skill',
          name: 'brew-tea',
          uri: `${ALICE_SKILLS}/brew-tea`,
          root_uri: `${ALICE_SKILLS}/brew-tea`,
          skill_md_uri: `${ALICE_SKILLS}/brew-tea/SKILL.md`,
          description: TEA.description,
          tags: [],
          allowed_tools: [],
        },
      ]),
    });
    const scoped = await sdk(t.client(ALICE)).listSkills({ targetUri: 'viking://agent/skills' }).expect(200);
    expect(at(scoped, 'root_uri')).toBe(ALICE_SKILLS);
    expect(names(scoped)).toEqual(['brew-tea', 'grind-coffee']);
  });

  test('findSkills answers one hit per skill, the best first', async () => {
    const res = await sdk(t.client(ALICE)).findSkills('oolong tea').expect(200);
    const skills = at(res, 'skills') as Array<{ name: string; score: number; uri: string }>;
    expect(skills[0]).toMatchObject({ name: 'brew-tea', uri: `${ALICE_SKILLS}/brew-tea` });
    expect(new Set(skills.map((s) => s.name)).size).toBe(skills.length);
    expect(at(res, 'total')).toBe(skills.length);
  });

  test('getSkill answers the SKILL.md, its hash and files; level 0 only the abstract', async () => {
    const res = await sdk(t.client(ALICE)).getSkill('brew-tea').expect(200);
    const content = at(res, 'content') as string;
    expect(content).toContain('Boil water.');
    expect(at(res, 'content_sha256')).toMatch(/^[0-9a-f]{64}$/);
    expect(at(res, 'abstract')).toBe(`${TEA.description}\n`);
    expect(at(res, 'files')).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'SKILL.md', kind: 'definition', is_dir: false }),
      ]),
    );
    const brief = resultOf(
      await sdk(t.client(ALICE)).getSkill('brew-tea', { level: 0, includeFiles: false }),
    );
    expect(brief).toMatchObject({ name: 'brew-tea', abstract: `${TEA.description}\n` });
    expect(brief).not.toHaveProperty('content');
    expect(brief).not.toHaveProperty('overview');
    expect(brief).not.toHaveProperty('files');
    expect(errorCodeOf(await sdk(t.client(ALICE)).getSkill('no-such-skill').expect(404))).toBe('NOT_FOUND');
    await sdk(t.client(ALICE)).getSkill('bad name!').expect(400);
  });

  test('validateSkill checks without writing', async () => {
    const ok = await sdk(t.client(ALICE)).validateSkill(TEA, { strict: true }).expect(200);
    expect(resultOf(ok)).toMatchObject({ valid: true, name: 'brew-tea', errors: [] });
    const bad = await sdk(t.client(ALICE)).validateSkill({ name: 'x y' }).expect(200);
    expect(at(bad, 'valid')).toBe(false);
    const strict = await sdk(t.client(ALICE))
      .validateSkill({ name: 'quiet', content: 'x' }, { strict: true })
      .expect(200);
    expect(at(strict, 'valid')).toBe(false);
    const lenient = await sdk(t.client(ALICE)).validateSkill({ name: 'quiet', content: 'x' }).expect(200);
    expect(at(lenient, 'valid')).toBe(true);
    const list = await sdk(t.client(ALICE)).listSkills();
    expect(names(list)).toEqual(['brew-tea', 'grind-coffee']);
  });

  test('updateSkill replaces an existing skill only, under the same name', async () => {
    const changed = { ...TEA, content: '# Brew\n\nSteep four minutes.' };
    const res = await sdk(t.client(ALICE)).updateSkill('brew-tea', changed, { wait: true }).expect(200);
    expect(resultOf(res)).toMatchObject({ status: 'success', name: 'brew-tea', action: 'update' });
    expect(at(await sdk(t.client(ALICE)).getSkill('brew-tea'), 'content')).toContain('Steep four minutes.');
    await sdk(t.client(ALICE))
      .updateSkill('never-added', { ...TEA, name: 'never-added' })
      .expect(404);
    await sdk(t.client(ALICE)).updateSkill('brew-tea', COFFEE).expect(400);
  });

  test('deleteSkill removes the folder', async () => {
    await t
      .client(ALICE)
      .post('/api/v1/skills')
      .send({ data: { name: 'short-lived', description: 'Gone soon' }, wait: true })
      .expect(200);
    const res = await sdk(t.client(ALICE)).deleteSkill('short-lived').expect(200);
    expect(resultOf(res)).toEqual({
      name: 'short-lived',
      uri: `${ALICE_SKILLS}/short-lived`,
      root_uri: `${ALICE_SKILLS}/short-lived`,
    });
    await sdk(t.client(ALICE)).getSkill('short-lived').expect(404);
    await sdk(t.client(ALICE)).deleteSkill('short-lived').expect(404);
  });
});

describe('isolation: another user or agent', () => {
  test.each([
    ['another user', BOB],
    ['another agent of the same user', ALICE_OTHER_AGENT],
  ])('%s sees none of alice’s skills and cannot change them', async (_label, caller) => {
    const api = sdk(t.client(caller));
    expect(at(await api.listSkills().expect(200), 'total')).toBe(0);
    expect(at(await api.findSkills('oolong tea').expect(200), 'total')).toBe(0);
    await api.getSkill('brew-tea').expect(404);
    await api.deleteSkill('brew-tea').expect(404);
    await api.updateSkill('brew-tea', TEA).expect(404);
    // Naming alice's folder is refused before anything about it is said.
    await api.listSkills({ targetUri: ALICE_SKILLS }).expect(403);
    await api.getSkill('brew-tea', { targetUri: ALICE_SKILLS }).expect(403);
    await api.deleteSkill('brew-tea', ALICE_SKILLS).expect(403);
    await api.findSkills('tea', { targetUri: ALICE_SKILLS }).expect(403);
    expect(at(await sdk(t.client(ALICE)).getSkill('brew-tea').expect(200), 'name')).toBe('brew-tea');
  });

  test('a target_uri that is readable but not the skills folder is a 400', async () => {
    const res = await sdk(t.client(ALICE)).listSkills({ targetUri: 'viking://resources' }).expect(400);
    expect(errorCodeOf(res)).toBe('INVALID_ARGUMENT');
  });
});

describe('watches and snapshots', () => {
  test.each([
    ['get', '/api/v1/watches', 'watches'],
    ['patch', '/api/v1/watches/task-1', 'watches'],
    ['delete', '/api/v1/watches', 'watches'],
    ['post', '/api/v1/watches/task-1/trigger', 'watches'],
    ['post', '/api/v1/snapshot/commit', 'snapshots'],
    ['get', '/api/v1/snapshot/log', 'snapshots'],
    ['put', '/api/v1/snapshot/ignore', 'snapshots'],
  ] as const)('%s %s answers 501 naming %s', async (method, path, feature) => {
    const res = await t.client(ALICE)[method](path).send({}).expect(501);
    expect(res.body).toMatchObject({
      status: 'error',
      error: { code: 'UNIMPLEMENTED', details: { feature, route: `${method.toUpperCase()} ${path}` } },
    });
    // Authentication still comes first.
    await request(t.app)[method](path).expect(401);
  });
});
