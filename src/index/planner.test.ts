import { choosePlan } from './planner.js';

test.each([
  [{ requested: 'auto', mirror: 'ready' }, 'memory'],
  [{ requested: 'auto', mirror: 'loading' }, 'lance-exact'],
  [{ requested: 'auto', mirror: 'off' }, 'lance-exact'],
  [{ requested: 'baseline', mirror: 'ready' }, 'lance-exact'],
] as const)('choosePlan(%j) = %s', (inputs, plan) => {
  expect(choosePlan(inputs)).toBe(plan);
});
