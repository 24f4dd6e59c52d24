import { logger } from '../log.js';
import { StorageStall } from './stall.js';

const FULL = { kind: 'disk_full', errno: 'ENOSPC' } as const;

test('the pause doubles its wait up to the cap, reports itself, and ends on clear', async () => {
  const stall = new StorageStall({ baseMs: 5, maxMs: 20, log: logger });
  expect(stall.status).toBeNull();
  const waits: number[] = [];
  for (let i = 0; i < 4; i++) {
    await stall.backoff(FULL);
    waits.push(stall.status?.backoff_s ?? -1);
  }
  // The wait after each failed try: 5, 10, 20, then capped at 20 ms.
  expect(waits).toEqual([0.005, 0.01, 0.02, 0.02]);
  expect(stall.status).toMatchObject({
    reason: 'disk_full',
    errno: 'ENOSPC',
    retries: 4,
    message: expect.stringMatching(/disk is full/) as string,
  });
  stall.clear();
  expect(stall.status).toBeNull();
  expect(stall.paused).toBe(false);
});

test('interrupt ends a long wait at once', async () => {
  const stall = new StorageStall({ baseMs: 60_000, log: logger });
  const waiting = stall.backoff({ kind: 'read_only', errno: 'EROFS' });
  stall.interrupt();
  await waiting;
  expect(stall.status).toMatchObject({ reason: 'read_only', retries: 1 });
});
