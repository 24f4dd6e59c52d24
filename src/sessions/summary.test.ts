import type { StoredMessage } from './schema.js';
import { abstractOf, estimateTokens, firstSentence, messageText, overviewOf } from './summary.js';

function msg(
  role: string,
  role_id: string | null,
  text: string,
  extra: StoredMessage['parts'] = [],
): StoredMessage {
  return {
    id: `msg_${'0'.repeat(32)}`,
    role,
    role_id,
    parts: [{ type: 'text', text }, ...extra],
    created_at: '2026-01-01T00:00:00.000Z',
  };
}

test.each([
  ['', 0],
  ['abcd', 1],
  ['abcde', 2],
])('estimateTokens(%j) = %d', (text, tokens) => {
  expect(estimateTokens(text)).toBe(tokens);
});

test.each([
  ['Hello there. More text.', 'Hello there.'],
  ['Is it? Yes.', 'Is it?'],
  ['no punctuation  at\nall', 'no punctuation at all'],
  ['v1.2 is out! ok', 'v1.2 is out!'],
])('firstSentence(%j)', (text, expected) => {
  expect(firstSentence(text)).toBe(expected);
});

test('firstSentence caps long sentences', () => {
  expect(firstSentence('a'.repeat(500))).toHaveLength(200);
});

test('messageText joins only the text parts', () => {
  const m = msg('user', 'alice', 'one', [
    { type: 'context', uri: 'viking://resources/a', context_type: 'resource', abstract: 'not text' },
    { type: 'text', text: 'two' },
  ]);
  expect(messageText(m)).toBe('one\ntwo');
});

test('overview names each speaker with the first sentence and tools', () => {
  const overview = overviewOf('s1', 'archive_001', [
    msg('user', 'alice', 'Deploy the service. Then test it.'),
    msg('assistant', 'bot', 'Searching now.', [
      {
        type: 'tool',
        tool_id: 't1',
        tool_name: 'search',
        tool_uri: 'viking://session/s1/tools/t1',
        skill_uri: '',
        tool_status: 'completed',
      },
    ]),
    msg('system', null, 'Be brief.'),
  ]);
  expect(overview).toContain('# Session s1 — archive_001');
  expect(overview).toContain('- **user (alice)**: Deploy the service.');
  expect(overview).not.toContain('Then test it.');
  expect(overview).toContain('- **assistant (bot)**: Searching now. [tools: search]');
  expect(overview).toContain('- **system**: Be brief.');
  expect(overview).toContain('between users alice and agents bot');
});

test('abstract is one paragraph with the opening and closing messages', () => {
  const abstract = abstractOf([
    msg('user', 'alice', 'First question here. x'),
    msg('assistant', 'bot', 'Final answer. y'),
  ]);
  expect(abstract.trim().split('\n')).toHaveLength(1);
  expect(abstract).toContain('2 messages between users alice and agents bot.');
  expect(abstract).toContain('user (alice): "First question here."');
  expect(abstract).toContain('assistant (bot): "Final answer."');
});
