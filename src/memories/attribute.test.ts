import { attribute, type SourceMessage } from './attribute.js';

const msg = (id: string, role: string, role_id: string | null, ctx?: [string, string]): SourceMessage => ({
  id,
  role,
  role_id,
  actor_context: ctx === undefined ? undefined : { user_id: ctx[0], agent_id: ctx[1] },
  text: id,
});
const messages = [
  msg('m1', 'user', 'alice', ['alice', 'a1']),
  msg('m2', 'assistant', 'a1', ['alice', 'a1']),
  msg('m3', 'user', 'bob', ['bob', 'a2']),
  msg('m4', 'user', 'carol'), // stored before actor_context: the split half is `default`
  msg('m5', 'system', null),
  msg('m6', 'user', '../evil', ['x', 'y']), // never a valid id, never an owner
];
const split = { isolate_user_scope_by_agent: true, isolate_agent_scope_by_user: true };
const flat = { isolate_user_scope_by_agent: false, isolate_agent_scope_by_user: false };
const memory = (category: string, ids: string[]) => ({
  category,
  abstract: 'a',
  content: 'c',
  source_message_ids: ids,
});

test.each([
  ['preferences', ['m1'], flat, ['viking://user/alice']],
  ['preferences', ['m1'], split, ['viking://user/alice/agent/a1']],
  ['preferences', ['m1', 'm3'], split, ['viking://user/alice/agent/a1', 'viking://user/bob/agent/a2']],
  ['preferences', ['m1', 'm2'], flat, ['viking://user/alice']],
  ['events', ['m4'], split, ['viking://user/carol/agent/default']],
  ['cases', ['m2'], flat, ['viking://agent/a1']],
  ['cases', ['m2'], split, ['viking://agent/a1/user/alice']],
  ['cases', ['m1', 'm2'], split, ['viking://agent/a1/user/alice']],
])('%s citing %j under %j → %j', (category, ids, policy, expected) => {
  const { planned, dropped } = attribute([memory(category, ids)], messages, 'acme', policy);
  expect(dropped).toEqual([]);
  expect(planned.map((p) => p.root)).toEqual(expected);
  for (const p of planned) {
    // Each copy cites only the messages of its own owner.
    const own = p.source_message_ids.map((id) => messages.find((m) => m.id === id)?.role_id);
    expect(new Set(own).size).toBe(1);
  }
});

test.each([
  ['secrets', ['m1'], 'unknown_category'],
  ['preferences', ['m1', 'msg_nope'], 'unknown_message_ids'],
  ['preferences', [], 'unknown_message_ids'],
  ['preferences', ['m2', 'm5'], 'no_fitting_message'],
  ['cases', ['m1'], 'no_fitting_message'],
  ['preferences', ['m6'], 'no_fitting_message'],
])('%s citing %j is dropped: %s', (category, ids, reason) => {
  const { planned, dropped } = attribute([memory(category, ids)], messages, 'acme', flat);
  expect(planned).toEqual([]);
  expect(dropped).toEqual([{ index: 0, category, reason }]);
});
