/**
 * The contract of a SessionStorage (src/sessions/storage.ts), run against every implementation: the
 * local files of the embedded mode and PostgreSQL. Each implementation's test file calls
 * {@link sessionSuite} with a factory of fresh, empty storages in which the accounts `acme` and
 * `other` exist.
 */
import { randomBytes } from 'node:crypto';
import type { StoredMessage } from '../../src/sessions/schema.js';
import type { SessionStorage } from '../../src/sessions/storage.js';
import type { Usage } from '../../src/sessions/usage.js';

export interface SessionStorageFixture {
  readonly storage: SessionStorage;
  /**
   * The storage another process uses on the same stored sessions: its own pool for PostgreSQL; for
   * local files the same storage (one process per DATA_DIR, enforced by the pid lock).
   */
  readonly peer: SessionStorage;
  /** A new storage on the same stored sessions (a restart). */
  reopen(): Promise<SessionStorage>;
  close(): Promise<void>;
}

let counter = 0;

/** A stored message as the service builds them (new-message.ts). */
export function message(text: string, role = 'user', role_id: string | null = 'alice'): StoredMessage {
  counter += 1;
  return {
    id: `msg_${randomBytes(16).toString('hex')}`,
    role,
    role_id,
    parts: [{ type: 'text', text }],
    created_at: new Date(Date.UTC(2026, 0, 1, 0, 0, counter)).toISOString(),
  };
}

const textOf = (m: StoredMessage): string => {
  const part = m.parts[0];
  return part?.type === 'text' ? part.text : '';
};

const usage = (uri: string, type: Usage['type'] = 'context'): Usage => ({
  uri,
  type,
  user_id: 'alice',
  timestamp: '2026-01-01T00:00:00.000Z',
});

export function sessionSuite(name: string, make: () => Promise<SessionStorageFixture>): void {
  describe(`SessionStorage: ${name}`, () => {
    let fx: SessionStorageFixture;
    let s: SessionStorage;
    beforeEach(async () => {
      fx = await make();
      s = fx.storage;
    });
    afterEach(async () => {
      await fx.close();
    });

    test('create makes an empty session once; it is listed and has a fresh meta, also after a restart', async () => {
      expect(await s.create('acme', 's1', 'alice')).toBe(true);
      expect(await s.create('acme', 's1', 'bob')).toBe(false);
      await s.create('acme', 's0', 'bob');
      const meta = await s.meta('acme', 's1', 'carol');
      expect(meta).toMatchObject({
        session_id: 's1',
        created_by_user_id: 'alice',
        participant_user_ids: ['alice'],
        message_count: 0,
        commit_count: 0,
      });
      expect(await s.list('acme')).toEqual(['s0', 's1']);
      expect(await s.liveMessages('acme', 's1')).toEqual([]);
      expect(await s.allMessages('acme', 's1')).toEqual([]);
      expect(await (await fx.reopen()).meta('acme', 's1', 'carol')).toEqual(meta);
      expect(await s.meta('acme', 'nope', 'alice')).toBeNull();
      expect(await s.allMessages('acme', 'nope')).toBeNull();
    });

    test('append creates the session if missing, keeps order and counts, and updates the meta', async () => {
      const [a, b, c] = [message('one'), message('two', 'assistant', 'bot'), message('three')];
      expect(await s.append('acme', 's1', 'alice', [a])).toBe(1);
      expect(await s.append('acme', 's1', 'bob', [b, c])).toBe(3);
      expect(await s.liveMessages('acme', 's1')).toEqual([a, b, c]);
      expect(await (await fx.reopen()).allMessages('acme', 's1')).toEqual([a, b, c]);
      expect(await s.meta('acme', 's1', 'x')).toMatchObject({
        created_by_user_id: 'alice',
        participant_user_ids: ['alice'],
        participant_agent_ids: ['bot'],
        message_count: 3,
        total_message_count: 3,
      });
      const found = await s.findMessages('acme', 's1', [c.id, 'msg_unknown']);
      expect(found.filter((m) => m.id === c.id)).toEqual([c]);
      expect(found.some((m) => m.id === 'msg_unknown')).toBe(false);
    });

    test('commit archives all but the newest `keep` with summaries, pending usages and extra files', async () => {
      const first = [message('How do I deploy billing? It is urgent.'), message('Use the staged rollout.')];
      const last = message('Thanks.');
      await s.append('acme', 's1', 'alice', [...first, last]);
      await s.recordUsages('acme', 's1', 'alice', [usage('viking://resources/a.md')]);
      const meta = await s.recordUsages('acme', 's1', 'alice', [usage('viking://agent/skills/x', 'skill')]);
      expect(meta).toMatchObject({ contexts_used: 1, skills_used: 1 });

      const extra = { '.extraction.json': '{"status":"pending"}\n' };
      expect(await s.commit('acme', 's1', 'alice', 1, extra)).toBe('archive_001');
      expect(await s.liveMessages('acme', 's1')).toEqual([last]);
      expect(await s.archiveNumbers('acme', 's1')).toEqual([1]);
      const archived = await s.readArchiveFile('acme', 's1', 1, 'messages.jsonl');
      expect(archived).toBe(first.map((m) => `${JSON.stringify(m)}\n`).join(''));
      const overview = await s.readArchiveFile('acme', 's1', 1, '.overview.md');
      expect(overview).toContain('deploy billing');
      expect(overview).toContain('- context viking://resources/a.md');
      expect(await s.readArchiveFile('acme', 's1', 1, '.abstract.md')).not.toBe('');
      expect(await s.readArchiveFile('acme', 's1', 1, '.extraction.json')).toBe(extra['.extraction.json']);
      const used = (await s.readArchiveFile('acme', 's1', 1, '.used.jsonl')).trim().split('\n');
      expect(used.map((line) => (JSON.parse(line) as Usage).uri)).toEqual([
        'viking://resources/a.md',
        'viking://agent/skills/x',
      ]);
      expect(await s.readArchiveFile('acme', 's1', 1, 'nothing.md')).toBe('');
      expect(await s.meta('acme', 's1', 'x')).toMatchObject({
        message_count: 1,
        total_message_count: 3,
        commit_count: 1,
        contexts_used: 1,
        skills_used: 1,
      });
      expect(await s.allMessages('acme', 's1')).toEqual([...first, last]);
      expect((await s.findMessages('acme', 's1', [first[0]?.id ?? ''])).map((m) => m.id)).toContain(
        first[0]?.id,
      );

      // Nothing beyond `keep`: nothing archived. The usages went with archive_001.
      expect(await s.commit('acme', 's1', 'alice', 1, {})).toBeNull();
      await s.append('acme', 's1', 'alice', [message('more')]);
      expect(await s.commit('acme', 's1', 'alice', 0, {})).toBe('archive_002');
      expect(await s.readArchiveFile('acme', 's1', 2, '.used.jsonl')).toBe('');
      expect(await s.liveMessages('acme', 's1')).toEqual([]);
      expect(await s.archiveNumbers('acme', 's1')).toEqual([1, 2]);
    });

    test('usages and commits of a missing session are NOT_FOUND', async () => {
      await expect(
        s.recordUsages('acme', 'nope', 'alice', [usage('viking://resources/a.md')]),
      ).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
      await expect(s.commit('acme', 'nope', 'alice', 0, {})).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    test("writeArchiveFile replaces an archive's summary or adds a file; the messages stay", async () => {
      const m = message('hello');
      await s.append('acme', 's1', 'alice', [m]);
      await s.commit('acme', 's1', 'alice', 0, {});
      await s.writeArchiveFile('acme', 's1', 1, '.abstract.md', 'A model summary\n');
      await s.writeArchiveFile('acme', 's1', 1, '.extraction.json', '{"status":"completed"}\n');
      const again = await fx.reopen();
      expect(await again.readArchiveFile('acme', 's1', 1, '.abstract.md')).toBe('A model summary\n');
      expect(await again.readArchiveFile('acme', 's1', 1, '.extraction.json')).toBe(
        '{"status":"completed"}\n',
      );
      expect(await again.readArchiveFile('acme', 's1', 1, 'messages.jsonl')).toBe(`${JSON.stringify(m)}\n`);
    });

    test('remove deletes the session with its messages and archives; removing again does nothing', async () => {
      const m = message('bye');
      await s.append('acme', 's1', 'alice', [m, message('again')]);
      await s.commit('acme', 's1', 'alice', 1, {});
      await s.append('acme', 's2', 'alice', [message('stays')]);
      await s.remove('acme', 's1');
      await s.remove('acme', 's1');
      expect(await s.list('acme')).toEqual(['s2']);
      expect(await s.meta('acme', 's1', 'alice')).toBeNull();
      expect(await s.allMessages('acme', 's1')).toBeNull();
      expect(await s.findMessages('acme', 's1', [m.id])).toEqual([]);
      expect(await s.archiveNumbers('acme', 's1')).toEqual([]);
      expect(await s.readArchiveFile('acme', 's1', 1, '.overview.md')).toBe('');
      expect((await s.liveMessages('acme', 's2')).map(textOf)).toEqual(['stays']);
      // The id is free again: a new session under it starts empty.
      expect(await s.create('acme', 's1', 'bob')).toBe(true);
      expect(await s.meta('acme', 's1', 'x')).toMatchObject({ created_by_user_id: 'bob', message_count: 0 });
    });

    test("another account's sessions are never visible, even under the same session and message ids", async () => {
      const m = message('acme only');
      await s.append('acme', 's1', 'alice', [m, message('second')]);
      await s.commit('acme', 's1', 'alice', 1, {});
      await s.recordUsages('acme', 's1', 'alice', [usage('viking://resources/a.md')]);
      expect(await s.list('other')).toEqual([]);
      expect(await s.meta('other', 's1', 'dave')).toBeNull();
      expect(await s.allMessages('other', 's1')).toBeNull();
      expect(await s.liveMessages('other', 's1')).toEqual([]);
      expect(await s.findMessages('other', 's1', [m.id])).toEqual([]);
      expect(await s.archiveNumbers('other', 's1')).toEqual([]);
      expect(await s.readArchiveFile('other', 's1', 1, 'messages.jsonl')).toBe('');
      await expect(s.commit('other', 's1', 'dave', 0, {})).rejects.toMatchObject({ code: 'NOT_FOUND' });

      // The same session id in the other account is its own session; removing it leaves acme's.
      expect(await s.append('other', 's1', 'dave', [message('other')])).toBe(1);
      expect(await s.commit('other', 's1', 'dave', 0, {})).toBe('archive_001');
      expect((await s.allMessages('other', 's1'))?.map(textOf)).toEqual(['other']);
      await s.remove('other', 's1');
      expect((await s.allMessages('acme', 's1'))?.map(textOf)).toEqual(['acme only', 'second']);
      expect(await s.meta('acme', 's1', 'x')).toMatchObject({ contexts_used: 1, commit_count: 1 });
    });

    test('hostile text round-trips unchanged: NUL, quotes, backslashes, newlines, non-BMP', async () => {
      const text = 'a\u0000b "q" \\ \n\r\t \u2028 😀 \'; DROP TABLE sessions; --';
      const m = message(text);
      await s.append('acme', 's1', 'alice', [m]);
      await s.recordUsages('acme', 's1', 'alice', [
        { ...usage('viking://resources/a.md', 'skill'), input: text },
      ]);
      expect(await s.liveMessages('acme', 's1')).toEqual([m]);
      await s.commit('acme', 's1', 'alice', 0, {});
      expect(await (await fx.reopen()).allMessages('acme', 's1')).toEqual([m]);
      const used = await s.readArchiveFile('acme', 's1', 1, '.used.jsonl');
      expect((JSON.parse(used) as Usage).input).toBe(text);
      await s.writeArchiveFile('acme', 's1', 1, '.abstract.md', text);
      expect(await s.readArchiveFile('acme', 's1', 1, '.abstract.md')).toBe(text);
    });

    test('concurrent appends from two processes: every message once, and each append answers its own count', async () => {
      const per = 25;
      const batches = Array.from({ length: 2 * per }, (_, i) => message(`m${i}`));
      await s.create('acme', 'busy', 'alice');
      const counts = await Promise.all(
        batches.map((m, i) => (i % 2 === 0 ? fx.storage : fx.peer).append('acme', 'busy', 'alice', [m])),
      );
      // Linearizable: the appends took effect one after another, so their answers are 1..2N.
      expect([...counts].sort((x, y) => x - y)).toEqual(Array.from({ length: 2 * per }, (_, i) => i + 1));
      const stored = (await s.allMessages('acme', 'busy')) ?? [];
      expect(stored).toHaveLength(2 * per);
      expect(new Set(stored.map((m) => m.id)).size).toBe(2 * per);
      expect(new Set(stored.map(textOf))).toEqual(new Set(batches.map(textOf)));
      // An append acknowledged with count k is the k-th message.
      const order = stored.map(textOf);
      batches.forEach((m, i) => expect(order[(counts[i] ?? 0) - 1]).toBe(textOf(m)));
      expect(await s.meta('acme', 'busy', 'x')).toMatchObject({
        message_count: 2 * per,
        total_message_count: 2 * per,
      });
    });

    test("sequential writers on two processes at once: each writer's messages stay in its order", async () => {
      const writers = [0, 1, 2, 3];
      await Promise.all(
        writers.map(async (w) => {
          const storage = w % 2 === 0 ? fx.storage : fx.peer;
          for (let i = 0; i < 10; i += 1) {
            await storage.append('acme', 'busy', 'alice', [message(`w${w} ${i}`), message(`w${w} ${i}b`)]);
          }
        }),
      );
      const order = ((await s.allMessages('acme', 'busy')) ?? []).map(textOf);
      expect(order).toHaveLength(80);
      for (const w of writers) {
        const mine = order.filter((t) => t.startsWith(`w${w} `));
        // Batches stay whole: each message is followed by its `b` twin.
        expect(mine).toEqual(Array.from({ length: 10 }, (_, i) => [`w${w} ${i}`, `w${w} ${i}b`]).flat());
      }
      for (let i = 0; i < order.length; i += 2) expect(order[i + 1]).toBe(`${order[i] ?? ''}b`);
    });

    test('commits racing appends on two processes lose or duplicate no message', async () => {
      const texts = Array.from({ length: 30 }, (_, i) => `r${i}`);
      const appending = (async () => {
        for (const t of texts) await fx.peer.append('acme', 'race', 'alice', [message(t)]);
      })();
      const committing = (async () => {
        for (let i = 0; i < 8; i += 1) {
          await s.commit('acme', 'race', 'alice', i % 3, {}).catch((error: unknown) => {
            // Before the first append the session may not exist yet.
            if ((error as { code?: unknown }).code !== 'NOT_FOUND') throw error;
          });
        }
      })();
      await Promise.all([appending, committing]);
      expect(((await s.allMessages('acme', 'race')) ?? []).map(textOf)).toEqual(texts);
      const numbers = await s.archiveNumbers('acme', 'race');
      let archived = 0;
      for (const n of numbers) {
        const text = await s.readArchiveFile('acme', 'race', n, 'messages.jsonl');
        archived += text.split('\n').filter((line) => line !== '').length;
      }
      const live = await s.liveMessages('acme', 'race');
      expect(archived + live.length).toBe(30);
      expect(await s.meta('acme', 'race', 'x')).toMatchObject({
        message_count: live.length,
        total_message_count: 30,
        commit_count: numbers.at(-1) ?? 0,
      });
    });
  });
}
