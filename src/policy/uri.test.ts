import { DEFAULT_POLICY, type NamespacePolicy } from './types.js';
import { canonicalUri, contextTypeOf, isCanonicalUri, normalizeSegments, resolveUri } from './uri.js';

const alice = { account_id: 'acme', user_id: 'alice', agent_id: 'bot' };
const isolating: NamespacePolicy = { isolate_user_scope_by_agent: true, isolate_agent_scope_by_user: true };

describe('normalizeSegments', () => {
  test.each([
    ['viking://', []],
    ['', []],
    ['/', []],
    ['resources', ['resources']],
    ['/resources//a///b/', ['resources', 'a', 'b']],
    ['viking:///resources/a', ['resources', 'a']],
    ['viking://resources/50%_off.md', ['resources', '50%_off.md']],
    ['viking://resources/ünï😀', ['resources', 'ünï😀']],
  ])('%j → %j', (raw, segments) => {
    expect(normalizeSegments(raw)).toEqual(segments);
  });

  test.each([
    'viking://tmp/x',
    'http://resources/x',
    'viking:/resources',
    'viking://resources/../x',
    'viking://resources/.',
    'viking://resources/a\\b',
    'viking://resources/a\u0000b',
    'viking://resources/a\u001fb',
    'viking://resources/a\u007fb',
    `viking://resources/${'x'.repeat(256)}`,
    `viking://resources/${'é'.repeat(128)}`,
    `viking://resources/${'abcdefgh/'.repeat(460)}`,
  ])('%j is INVALID_URI', (raw) => {
    expect(() => normalizeSegments(raw)).toThrow(expect.objectContaining({ code: 'INVALID_URI' }));
  });

  test('a non-string is INVALID_URI', () => {
    expect(() => normalizeSegments(42)).toThrow(expect.objectContaining({ code: 'INVALID_URI' }));
  });
});

describe('resolveUri', () => {
  test.each([
    ['viking://user/memories/x', DEFAULT_POLICY, 'viking://user/alice/memories/x'],
    ['viking://user/memories/x', isolating, 'viking://user/alice/agent/bot/memories/x'],
    ['viking://agent/skills/s', DEFAULT_POLICY, 'viking://agent/bot/skills/s'],
    ['viking://agent/skills/s', isolating, 'viking://agent/bot/user/alice/skills/s'],
    ['viking://user/profile.md', DEFAULT_POLICY, 'viking://user/alice/profile.md'],
    ['viking://session/s1', isolating, 'viking://session/s1'],
  ])('%j under %j → %j', (raw, policy, canonical) => {
    expect(resolveUri(raw, alice, policy).uri).toBe(canonical);
  });

  test('shorthand is refused where a canonical URI is required', () => {
    expect(() => resolveUri('viking://user/memories/x', null, DEFAULT_POLICY)).toThrow(
      expect.objectContaining({ code: 'INVALID_URI' }),
    );
  });

  test.each([
    ['viking://user/alice/memories', isolating],
    ['viking://user/alice/agent', isolating],
    ['viking://user/alice/agent/b%c', isolating],
    ['viking://agent/bot/skills', isolating],
    ['viking://session/a.b', DEFAULT_POLICY],
    ['viking://user/alice%2Fbob', DEFAULT_POLICY],
  ])('%j under %j is a shape error', (raw, policy) => {
    expect(() => resolveUri(raw, alice, policy)).toThrow(expect.objectContaining({ code: 'INVALID_URI' }));
  });

  test.each([
    ['viking://session/s/messages/m', 'session'],
    ['viking://user/alice/memories/x', 'memory'],
    ['viking://agent/bot/skills/s.md', 'skill'],
    ['viking://agent/bot/instructions/i.md', 'resource'],
    ['viking://resources/memories/x', 'memory'],
    ['viking://resources/doc.md', 'resource'],
  ])('context type of %j is %s', (uri, type) => {
    expect(contextTypeOf(resolveUri(uri, null, DEFAULT_POLICY))).toBe(type);
  });
});

describe('isCanonicalUri / canonicalUri', () => {
  test.each([
    'viking://',
    'viking://resources',
    'viking://resources/a/b.md',
    'viking://user/alice/memories/x',
    'viking://user/alice/agent/bot/memories/x',
    'viking://agent/bot/skills/s.md',
    'viking://session/s1/history/archive_001/messages.jsonl',
  ])('%j is canonical (under some policy) and keeps its text', (text) => {
    expect(isCanonicalUri(text)).toBe(true);
    expect(canonicalUri(text)).toBe(text);
  });

  test.each([
    'resources/a',
    'viking://resources/a/',
    'viking://resources//a',
    'viking://resources/../a',
    'viking://user/memories/x',
    'viking://agent/skills/s.md',
    'viking://user/al ice/x',
    'viking://tmp/x',
    `viking://resources/${'x'.repeat(256)}`,
  ])('%j is not canonical: INVALID_URI', (text) => {
    expect(isCanonicalUri(text)).toBe(false);
    expect(() => canonicalUri(text)).toThrow(expect.objectContaining({ code: 'INVALID_URI' }));
  });

  test('every URI resolveUri returns is canonical, under either policy', () => {
    for (const policy of [DEFAULT_POLICY, isolating])
      for (const raw of ['viking://user/memories/x', 'agent/skills', '/resources//a/'])
        expect(isCanonicalUri(resolveUri(raw, alice, policy).uri)).toBe(true);
  });
});
