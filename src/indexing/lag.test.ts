import { LagMeter } from './lag.js';

const NOW = 1_000_000;
/** A meter with bound 5 s, a fixed clock and the given batches recorded. */
function meter(batches: readonly (readonly [jobs: number, ms: number])[] = []): LagMeter {
  const m = new LagMeter(5, () => NOW);
  for (const [jobs, ms] of batches) m.record(jobs, ms);
  return m;
}
const ago = (seconds: number) => NOW - seconds * 1000;

test.each([
  ['an empty queue', [], { depth: 0, oldestAt: null }, null],
  ['a young job, no rate yet', [], { depth: 3, oldestAt: ago(1) }, null],
  ['a job older than the bound, no rate yet', [], { depth: 1, oldestAt: ago(6) }, 1],
  ['a backlog that drains within the bound', [[10, 1000]], { depth: 40, oldestAt: ago(1) }, null],
  ['a backlog that needs 10 s at 10 jobs/s', [[10, 1000]], { depth: 100, oldestAt: ago(1) }, 5],
  ['an old job in a queue that drains fast', [[100, 100]], { depth: 2, oldestAt: ago(7) }, 1],
  ['a backlog of hours waits at most 60 s', [[1, 1000]], { depth: 100_000, oldestAt: ago(1) }, 60],
] as const)('retryAfterS: %s', (_name, batches, state, expected) => {
  expect(meter(batches).retryAfterS(state)).toBe(expected);
});

test('the lag is the age of the oldest pending job, 0 when none is', () => {
  expect(meter().lagS({ depth: 0, oldestAt: null })).toBe(0);
  expect(meter().lagS({ depth: 2, oldestAt: ago(2.5) })).toBe(2.5);
});

test('the drain rate covers the last batches only', () => {
  const m = meter([[1, 1000]]);
  expect(m.drainRate()).toBe(1);
  for (let i = 0; i < 16; i++) m.record(100, 1000);
  expect(m.drainRate()).toBe(100);
  expect(meter().drainRate()).toBeNull();
});
