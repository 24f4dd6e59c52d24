import { choosePlan, INT8_FROM, quantizeFor } from './planner.js';

test.each([
  [{ requested: 'auto', mirror: 'ready' }, 'memory'],
  [{ requested: 'auto', mirror: 'loading' }, 'lance-exact'],
  [{ requested: 'auto', mirror: 'off' }, 'lance-exact'],
  [{ requested: 'baseline', mirror: 'ready' }, 'lance-exact'],
] as const)('choosePlan(%j) = %s', (inputs, plan) => {
  expect(choosePlan(inputs)).toBe(plan);
});

test.each([
  [0, false],
  [10, false],
  [INT8_FROM - 1, false],
  [INT8_FROM, true],
  [1_000_000, true],
])('a memory query over %i matching records scans int8 first: %s', (matching, quantized) => {
  expect(quantizeFor(matching)).toBe(quantized);
});
