import { WriteGate } from './gate.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

test('a snapshot waits for running changes, and changes arriving meanwhile wait for it', async () => {
  const gate = new WriteGate();
  const log: string[] = [];
  const first = deferred();
  const running = gate.change(async () => {
    log.push('change 1 starts');
    await first.promise;
    log.push('change 1 ends');
  });
  const snapshot = gate.snapshot(async () => {
    log.push('snapshot');
    await tick();
    log.push('snapshot ends');
  });
  const later = gate.change(() => Promise.resolve(void log.push('change 2')));
  await tick();
  expect(log).toEqual(['change 1 starts']);
  first.resolve();
  await Promise.all([running, snapshot, later]);
  expect(log).toEqual(['change 1 starts', 'change 1 ends', 'snapshot', 'snapshot ends', 'change 2']);
});

test('changes run together; snapshots one at a time; a failing one releases the gate', async () => {
  const gate = new WriteGate();
  let inside = 0;
  let most = 0;
  const change = () =>
    gate.change(async () => {
      most = Math.max(most, ++inside);
      await tick();
      inside--;
    });
  await Promise.all([change(), change(), change()]);
  expect(most).toBe(3);
  let snapshots = 0;
  let overlap = false;
  const snap = (fail: boolean) =>
    gate.snapshot(async () => {
      overlap ||= snapshots > 0;
      snapshots++;
      await tick();
      snapshots--;
      if (fail) throw new Error('disk full');
    });
  const results = await Promise.allSettled([snap(true), snap(false), change()]);
  expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'fulfilled']);
  expect(overlap).toBe(false);
});
