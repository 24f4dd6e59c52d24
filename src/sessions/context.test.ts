import { buildContext, newestThatFit } from './context.js';
import type { StoredMessage } from './schema.js';

function msg(n: number, chars: number): StoredMessage {
  return {
    id: `msg_${String(n).padStart(32, '0')}`,
    role: 'user',
    role_id: 'alice',
    parts: [{ type: 'text', text: 'x'.repeat(chars) }],
    created_at: '2026-01-01T00:00:00.000Z',
  };
}

const messages = [msg(1, 40), msg(2, 40), msg(3, 40)]; // 10 tokens each
const archives = [
  { archive_id: 'archive_001', overview: 'o'.repeat(400), abstract: 'a'.repeat(20) },
  { archive_id: 'archive_002', overview: 'p'.repeat(40), abstract: 'b'.repeat(20) },
];

test.each([
  [0, []],
  [9, []],
  [10, [3]],
  [25, [2, 3]],
  [30, [1, 2, 3]],
])('budget %d keeps the newest messages that fit: %j', (budget, kept) => {
  const result = newestThatFit(messages, budget);
  expect(result.kept.map((m) => Number(m.id.slice(4)))).toEqual(kept);
  expect(result.tokens).toBe(kept.length * 10);
});

test('messages come first, then the latest overview, then older abstracts', () => {
  const ctx = buildContext(messages, archives, 1000);
  expect(ctx.messages).toHaveLength(3);
  expect(ctx.latest_archive_overview).toBe('p'.repeat(40));
  expect(ctx.pre_archive_abstracts).toEqual([{ archive_id: 'archive_001', abstract: 'a'.repeat(20) }]);
  expect(ctx.estimatedTokens).toBe(30 + 10 + 5);
  expect(ctx.stats).toEqual({
    totalArchives: 2,
    includedArchives: 2,
    droppedArchives: 0,
    failedArchives: 0,
    activeTokens: 30,
    archiveTokens: 15,
  });
});

test('the overview is left out when it does not fit what the messages leave', () => {
  const ctx = buildContext(messages, archives, 35);
  expect(ctx.messages).toHaveLength(3);
  expect(ctx.latest_archive_overview).toBe('');
  expect(ctx.pre_archive_abstracts).toEqual([{ archive_id: 'archive_001', abstract: 'a'.repeat(20) }]);
  expect(ctx.estimatedTokens).toBeLessThanOrEqual(35);
  expect(ctx.stats.droppedArchives).toBe(1);
});

test('an empty session gives an empty context', () => {
  expect(buildContext([], [], 100)).toMatchObject({
    latest_archive_overview: '',
    pre_archive_abstracts: [],
    messages: [],
    estimatedTokens: 0,
  });
});
