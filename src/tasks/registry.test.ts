import { TaskRegistry } from './registry.js';
import { AppError } from '../errors.js';

const ctx = (account: string, user: string) => ({
  effective: { account_id: account, user_id: user, agent_id: 'default' },
  role: 'user' as const,
  policy: { isolate_user_scope_by_agent: false, isolate_agent_scope_by_user: false },
});
const alice = ctx('acme', 'alice');
const settle = () => new Promise((resolve) => setImmediate(resolve));

test('a task runs, then reports its result; only its owner sees it', async () => {
  const tasks = new TaskRegistry();
  let finish!: (value: Record<string, unknown>) => void;
  const started = tasks.start(
    alice,
    'add_resource',
    'viking://resources/a',
    () => new Promise((r) => (finish = r)),
  );
  expect(started).toMatchObject({ status: 'running', task_type: 'add_resource', result: null });
  finish({ root_uri: 'viking://resources/a' });
  await settle();
  expect(tasks.get(alice, started.task_id)).toMatchObject({
    status: 'completed',
    result: { root_uri: 'viking://resources/a' },
    error: null,
  });
  expect(() => tasks.get(ctx('acme', 'bob'), started.task_id)).toThrow(
    expect.objectContaining({ code: 'NOT_FOUND' }),
  );
  expect(() => tasks.get(ctx('other', 'alice'), started.task_id)).toThrow(
    expect.objectContaining({ code: 'NOT_FOUND' }),
  );
  expect(() => tasks.get(alice, 'not-a-task')).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
  expect(tasks.list(ctx('acme', 'bob'))).toEqual([]);
  expect(tasks.list(alice, { status: 'completed' }).map((t) => t.task_id)).toEqual([started.task_id]);
});

test('a failing task reports the error code and message, never internals', async () => {
  const tasks = new TaskRegistry();
  const failed = tasks.start(alice, 'add_resource', null, () =>
    Promise.reject(new AppError('DEADLINE_EXCEEDED', 'too slow')),
  );
  const crashed = tasks.start(alice, 'add_resource', null, () =>
    Promise.reject(new Error('secret path /srv/x')),
  );
  await settle();
  expect(tasks.get(alice, failed.task_id)).toMatchObject({
    status: 'failed',
    error: 'too slow',
    error_code: 'DEADLINE_EXCEEDED',
  });
  expect(tasks.get(alice, crashed.task_id)).toMatchObject({
    status: 'failed',
    error: 'internal error',
    error_code: 'INTERNAL',
  });
});

test('finished tasks expire after a day', async () => {
  let now = Date.now();
  const tasks = new TaskRegistry({ now: () => now });
  const done = tasks.start(alice, 't', null, () => Promise.resolve({}));
  await settle();
  now += 25 * 60 * 60 * 1000;
  tasks.start(alice, 't', null, () => new Promise(() => undefined));
  expect(() => tasks.get(alice, done.task_id)).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
});

test('task times are epoch seconds (OpenViking) and the same instants in ISO 8601', () => {
  const tasks = new TaskRegistry({ now: () => Date.UTC(2026, 11, 6, 2, 30, 0, 500) });
  const started = tasks.start(alice, 'add_resource', 'viking://resources/t', () => new Promise(() => {}));
  expect(started).toMatchObject({
    created_at: 1796524200.5,
    updated_at: 1796524200.5,
    created_at_iso: '2026-12-06T02:30:00.500Z',
    updated_at_iso: '2026-12-06T02:30:00.500Z',
  });
});
