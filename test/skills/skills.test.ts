/**
 * POST /api/v1/skills end to end: each kind of `data` lands at the canonical skills folder of the
 * caller's agent scope, is readable there and found by search as a skill — and by nobody who may not
 * read that scope; bad input is a 4xx that writes nothing.
 */
import { errorCodeOf, fullApp, searchResultOf, type FullApp } from '../helpers/full-app.js';
import { at, resultOf } from '../helpers/http-app.js';

const ALICE = { account: 'acme', user: 'alice', agent: 'bot' };
const BOB = { account: 'acme', user: 'bob', agent: 'bot' };
// The agent scope is partitioned by user here: alice's and bob's `bot` skills are separate.
const ALICE_SKILLS = 'viking://agent/bot/user/alice/skills';

describe('POST /api/v1/skills', () => {
  let t: FullApp;
  beforeAll(async () => {
    t = await fullApp({
      accounts: [{ account_id: 'acme', isolate_agent_scope_by_user: true, users: ['alice', 'bob'] }],
      env: { MAX_FILE_BYTES: '65536' },
    });
  });
  afterAll(() => t.close());

  async function skillFolders(): Promise<unknown> {
    const res = await t.client(ALICE).get('/api/v1/fs/ls').query({ uri: ALICE_SKILLS, simple: true });
    return (res.body as { result: unknown }).result;
  }

  test('a dict skill is written, summarised, indexed as a skill and private to its scope', async () => {
    const data = { name: 'zephyr-lookup', description: 'Looks up zephyrine weather', content: '# Use\nAsk.' };
    const res = await t.client(ALICE).post('/api/v1/skills').send({ data, wait: true }).expect(200);
    expect(resultOf(res)).toEqual({
      status: 'success',
      uri: `${ALICE_SKILLS}/zephyr-lookup`,
      name: 'zephyr-lookup',
      auxiliary_files: 0,
    });
    const read = await t
      .client(ALICE)
      .get('/api/v1/content/read')
      .query({ uri: 'viking://agent/skills/zephyr-lookup/SKILL.md' })
      .expect(200);
    expect(resultOf(read)).toBe(
      '---\nname: zephyr-lookup\ndescription: "Looks up zephyrine weather"\n---\n\n# Use\nAsk.\n',
    );
    const abstract = await t
      .client(ALICE)
      .get('/api/v1/content/abstract')
      .query({ uri: `${ALICE_SKILLS}/zephyr-lookup` });
    expect(resultOf(abstract)).toBe('Looks up zephyrine weather\n');

    const found = searchResultOf(
      await t.client(ALICE).post('/api/v1/search/find').send({ query: 'zephyrine' }),
    );
    expect(found.skills.map((h) => h.uri)).toContain(`${ALICE_SKILLS}/zephyr-lookup/SKILL.md`);
    expect(found.skills.every((h) => h.context_type === 'skill')).toBe(true);

    const other = searchResultOf(
      await t.client(BOB).post('/api/v1/search/find').send({ query: 'zephyrine' }),
    );
    expect(other.total).toBe(0);
    await t
      .client(BOB)
      .get('/api/v1/content/read')
      .query({ uri: `${ALICE_SKILLS}/zephyr-lookup/SKILL.md` })
      .expect(403);
  });

  test('a SKILL.md text and an MCP tool description', async () => {
    const text = '---\nname: md-skill\ndescription: From markdown\n---\n# Steps\n';
    const md = await t.client(ALICE).post('/api/v1/skills').send({ data: text }).expect(200);
    expect(at(md, 'uri')).toBe(`${ALICE_SKILLS}/md-skill`);
    const tool = {
      name: 'calc_sum',
      description: 'Adds numbers',
      inputSchema: { type: 'object', properties: { a: { type: 'number', description: 'first' } } },
    };
    const mcp = await t.client(ALICE).post('/api/v1/skills').send({ data: tool }).expect(200);
    expect(at(mcp, 'name')).toBe('calc-sum');
    const read = await t
      .client(ALICE)
      .get('/api/v1/content/read')
      .query({ uri: `${ALICE_SKILLS}/calc-sum/SKILL.md` })
      .expect(200);
    expect(resultOf(read)).toContain('- **a** (number, optional): first');
  });

  test('an uploaded SKILL.md (temp_file_id); an unknown id is 404, a binary upload 400', async () => {
    const upload = async (data: Buffer) => {
      const res = await t
        .client(ALICE)
        .post('/api/v1/resources/temp_upload')
        .attach('file', data, 'SKILL.md');
      return at(res, 'temp_file_id');
    };
    const text = '---\nname: uploaded-skill\ndescription: Came by upload\n---\n# Steps\n';
    const id = await upload(Buffer.from(text));
    const res = await t.client(ALICE).post('/api/v1/skills').send({ temp_file_id: id }).expect(200);
    expect(at(res, 'uri')).toBe(`${ALICE_SKILLS}/uploaded-skill`);
    const missing = 'upload_00000000000000000000000000000000.md';
    await t.client(ALICE).post('/api/v1/skills').send({ temp_file_id: missing }).expect(404);
    const binary = await upload(Buffer.from([0xff, 0xfe, 0x00, 0x01]));
    const refused = await t.client(ALICE).post('/api/v1/skills').send({ temp_file_id: binary }).expect(400);
    expect(errorCodeOf(refused)).toBe('INVALID_ARGUMENT');
  });

  test.each([
    ['no data', {}],
    ['null data', { data: null }],
    ['a traversal name', { data: { name: '..', description: 'x' } }],
    ['a nested name', { data: { name: 'a/b', description: 'x' } }],
    ['markdown without front matter', { data: '# nothing' }],
    ['a number', { data: 7 }],
  ])('%s is 400 and writes nothing', async (_, body) => {
    const before = await skillFolders();
    const res = await t.client(ALICE).post('/api/v1/skills').send(body).expect(400);
    expect(errorCodeOf(res)).toBe('INVALID_ARGUMENT');
    expect(await skillFolders()).toEqual(before);
  });

  test('a skill over the file size limit is 413 and writes nothing', async () => {
    const data = { name: 'too-big', description: 'x', content: 'y'.repeat(70_000) };
    const res = await t.client(ALICE).post('/api/v1/skills').send({ data }).expect(413);
    expect(errorCodeOf(res)).toBe('PAYLOAD_TOO_LARGE');
    expect(await skillFolders()).not.toContain(`${ALICE_SKILLS}/too-big`);
  });
});
