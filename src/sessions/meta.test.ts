import { addParticipants, newMeta, normaliseParts, rebuildMeta } from './meta.js';
import { addMessageSchema } from './schema.js';

test('a new meta starts with the creator as the only participant', () => {
  expect(newMeta('s1', 'alice', 'T')).toEqual({
    session_id: 's1',
    created_at: 'T',
    updated_at: 'T',
    created_by_user_id: 'alice',
    participant_user_ids: ['alice'],
    participant_agent_ids: [],
    message_count: 0,
    total_message_count: 0,
    commit_count: 0,
    contexts_used: 0,
    skills_used: 0,
  });
});

test('participants: user messages add users, assistant messages add agents, others nothing', () => {
  const base = { id: 'm', parts: [], created_at: 'T' };
  const meta = addParticipants(newMeta('s1', 'alice', 'T'), [
    { ...base, role: 'user', role_id: 'bob' },
    { ...base, role: 'user', role_id: 'alice' },
    { ...base, role: 'assistant', role_id: 'bot' },
    { ...base, role: 'system', role_id: null },
    { ...base, role: 'tool', role_id: 'ignored' },
  ]);
  expect(meta.participant_user_ids).toEqual(['alice', 'bob']);
  expect(meta.participant_agent_ids).toEqual(['bot']);
});

test.each([
  [{ role: 'user', content: 'hi' }, [{ type: 'text', text: 'hi' }]],
  [{ role: 'user', content: '' }, [{ type: 'text', text: '' }]],
  [{ role: 'user', content: 'no', parts: [{ type: 'text', text: 'yes' }] }, [{ type: 'text', text: 'yes' }]],
  [
    {
      role: 'assistant',
      parts: [{ type: 'tool', tool_id: 'c1', tool_name: 'run', tool_uri: 'viking://elsewhere' }],
    },
    [
      {
        type: 'tool',
        tool_id: 'c1',
        tool_name: 'run',
        tool_uri: 'viking://session/s9/tools/c1',
        skill_uri: '',
        tool_status: 'pending',
      },
    ],
  ],
])('normaliseParts(%j)', (raw, parts) => {
  expect(normaliseParts('s9', addMessageSchema.parse(raw))).toEqual(parts);
});

test('a rebuilt meta counts the live and archived messages and usages and finds the participants', () => {
  const message = (id: string, role: string, role_id: string | null, created_at: string) => ({
    id,
    role,
    role_id,
    parts: [],
    created_at,
  });
  const meta = rebuildMeta(
    {
      session_id: 's1',
      archived: [message('a', 'system', null, 'T1'), message('b', 'user', 'bob', 'T2')],
      live: [message('c', 'assistant', 'bot', 'T3'), message('d', 'user', 'alice', 'T4')],
      commit_count: 1,
      usages: [{ type: 'context' }, { type: 'context' }, { type: 'skill' }],
    },
    { creator: 'caller', now: 'NOW' },
  );
  expect(meta).toEqual({
    session_id: 's1',
    created_at: 'T1',
    updated_at: 'T4',
    created_by_user_id: 'bob',
    participant_user_ids: ['bob', 'alice'],
    participant_agent_ids: ['bot'],
    message_count: 2,
    total_message_count: 4,
    commit_count: 1,
    contexts_used: 2,
    skills_used: 1,
  });
});

test('a rebuilt meta of a session without messages falls back to the caller and now', () => {
  const log = { session_id: 's1', archived: [], live: [], commit_count: 0 };
  expect(rebuildMeta(log, { creator: 'alice', now: 'NOW' })).toEqual(newMeta('s1', 'alice', 'NOW'));
});
