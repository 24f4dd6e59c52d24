import type { AccountRecord } from './persist.js';
import type { RegistrySnapshot, RegistryStorage } from './registry-storage.js';
import { RegistrySync } from './sync.js';

const record = (account_id: string): AccountRecord => ({
  account_id,
  created_at: '2026-01-01T00:00:00.000Z',
  policy: { isolate_user_scope_by_agent: false, isolate_agent_scope_by_user: false },
  users: new Map(),
});

/** A storage whose loads are answered by the test, one at a time. */
function fakeStorage() {
  const pending: ((snapshot: RegistrySnapshot) => void)[] = [];
  let onChange: ((version?: number) => void) | undefined;
  const storage: RegistryStorage = {
    load: () => new Promise((resolve) => pending.push(resolve)),
    createAccount: () => Promise.reject(new Error('unused')),
    updateUsers: () => Promise.reject(new Error('unused')),
    deleteAccount: () => Promise.reject(new Error('unused')),
    watch: (listener) => {
      onChange = listener;
      return Promise.resolve(() => Promise.resolve());
    },
  };
  const answer = async (version: number, ...ids: string[]) => {
    while (pending.length === 0) await new Promise((resolve) => setImmediate(resolve));
    pending.shift()?.({ version, accounts: ids.map(record) });
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { storage, answer, pending, change: (version?: number) => onChange?.(version) };
}

describe('RegistrySync: which snapshot reaches memory', () => {
  let applied: string[][];
  const setup = async () => {
    const fake = fakeStorage();
    const sync = new RegistrySync(fake.storage, (records) => applied.push(records.map((r) => r.account_id)));
    const started = sync.start();
    await fake.answer(5, 'a');
    await started;
    return { fake, sync };
  };
  beforeEach(() => {
    applied = [];
  });

  test('start applies the stored registry', async () => {
    await setup();
    expect(applied).toEqual([['a']]);
  });

  test('a notice at the applied version loads nothing; one without a version or a newer one does', async () => {
    const { fake } = await setup();
    fake.change(5);
    expect(fake.pending).toHaveLength(0);
    fake.change(6);
    await fake.answer(6, 'a', 'b');
    fake.change();
    await fake.answer(7, 'b');
    expect(applied).toEqual([['a'], ['a', 'b'], ['b']]);
  });

  test("a snapshot older than this process's own last change is not applied (it would undo it)", async () => {
    const { fake, sync } = await setup();
    fake.change();
    // Our change commits at 8 while the load (which read version 7) is under way.
    expect(sync.committed(8)).toBe(true);
    await fake.answer(7, 'stale');
    expect(applied).toEqual([['a']]);
    fake.change(8);
    await fake.answer(8, 'a', 'ours');
    expect(applied).toEqual([['a'], ['a', 'ours']]);
  });

  test('a committed change older than the applied snapshot is left to the snapshot', async () => {
    const { sync } = await setup();
    expect(sync.committed(4)).toBe(false);
    expect(sync.committed(6)).toBe(true);
    // Local storage: unversioned, always applied.
    expect(sync.committed(0)).toBe(true);
  });

  test('notices during a load cause exactly one more load', async () => {
    const { fake } = await setup();
    fake.change();
    fake.change();
    fake.change();
    await fake.answer(6, 'x');
    await fake.answer(7, 'y');
    await new Promise((resolve) => setImmediate(resolve));
    expect(fake.pending).toHaveLength(0);
    expect(applied).toEqual([['a'], ['x'], ['y']]);
  });
});
