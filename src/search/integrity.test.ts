import { logger } from '../log.js';
import { and, DEFAULT_POLICY, eq, type Expr, type RequestContext } from '../policy/index.js';
import { IntegrityCheck } from './integrity.js';
import type { IndexHit } from './types.js';

const ctx: RequestContext = {
  role: 'user',
  policy: DEFAULT_POLICY,
  effective: { account_id: 'acme', user_id: 'alice', agent_id: 'bot' },
};
const hit: IndexHit = {
  id: 'r1',
  account_id: 'acme',
  uri: 'viking://resources/a.md',
  scope: 'resources',
  owner_user_id: null,
  owner_agent_id: null,
  context_type: 'resource',
  level: 2,
  chunk_index: 0,
  abstract: 'a',
  session_id: null,
  message_id: null,
  role: null,
  role_id: null,
  created_at: 1,
  updated_at: 1,
};

test.each<[string, Expr, IndexHit, boolean]>([
  ['a canonical hit the filter admits', and(), hit, true],
  ['a hit the filter refuses', eq('account_id', 'other'), hit, false],
  ['a URI that is not canonical', and(), { ...hit, uri: 'viking://resources/../user/bob/a.md' }, false],
  ['stored fields its URI does not derive', and(), { ...hit, scope: 'user', owner_user_id: 'bob' }, false],
  ['a URI that does not parse', and(), { ...hit, uri: 'https://example.com/a.md' }, false],
])('%s: kept %s; every drop counted and told', (_name, filter, row, ok) => {
  const told: number[] = [];
  const check = new IntegrityCheck(logger.child({}, { level: 'silent' }), (n) => told.push(n));
  expect(check.verify(ctx, filter, row)).toBe(ok);
  expect(check.verify(ctx, filter, row)).toBe(ok);
  expect(check.errors).toBe(ok ? 0 : 2);
  expect(told).toEqual(ok ? [] : [1, 1]);
});
