/**
 * Listing parity, for all four policies: a recursive listing as an identity holds exactly the entries
 * of ROOT's listing that the identity may stat — nothing it may not read, nothing it may read missing.
 */
import { codeOf, createTestFs, ctxOf, policyOf, type TestFs } from '../helpers/vfs.js';

let fs: TestFs;
beforeAll(async () => {
  fs = await createTestFs();
});
afterAll(() => fs.cleanup());

const policies = [policyOf(false, false), policyOf(true, false), policyOf(false, true), policyOf(true, true)];
const people = [
  ['alice', 'bot'],
  ['alice', 'helper'],
  ['bob', 'bot'],
] as const;

test.each(policies.map((p, i) => [JSON.stringify(p), p, i] as const))(
  'policy %s',
  async (_name, policy, i) => {
    const account = `parity${i}`;
    await fs.vfs.initAccount(account);
    for (const [user, agent] of people) {
      const ctx = ctxOf('user', user, agent, policy, account);
      await fs.vfs.ensureIdentity(ctx);
      await fs.vfs.write(ctx, { uri: 'viking://user/memories/note.md', content: `${user}/${agent}` });
      await fs.vfs.write(ctx, { uri: 'viking://agent/skills/skill.md', content: `${user}/${agent}` });
    }
    const everything = await fs.vfs.ls(ctxOf('root', 'alice', 'bot', policy, account), 'viking://', {
      recursive: true,
      simple: true,
      showAllHidden: true,
    });
    for (const [user, agent] of people) {
      for (const role of ['user', 'admin'] as const) {
        const ctx = ctxOf(role, user, agent, policy, account);
        const listed = await fs.vfs.ls(ctx, 'viking://', {
          recursive: true,
          simple: true,
          showAllHidden: true,
        });
        const statable: string[] = [];
        for (const uri of everything) if ((await codeOf(fs.vfs.stat(ctx, uri))) === 'ok') statable.push(uri);
        expect(listed).toEqual(statable);
        expect(listed).toContain(
          `viking://${policy.isolate_user_scope_by_agent ? `user/${user}/agent/${agent}` : `user/${user}`}/memories/note.md`,
        );
      }
    }
  },
);
