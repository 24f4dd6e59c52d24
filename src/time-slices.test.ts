import { eachInSlices, forEachInSlices } from './time-slices.js';

test.each([
  // sliceMs 0: every step has used up its slice, so the loop yields between any two steps.
  { sliceMs: 0, steps: 5, pauses: 4 },
  { sliceMs: 0, steps: 1, pauses: 0 },
  { sliceMs: 0, steps: 0, pauses: 0 },
  // A slice longer than the whole loop: no yield at all.
  { sliceMs: 60_000, steps: 5, pauses: 0 },
])(
  'a loop of $steps steps in slices of $sliceMs ms yields $pauses times, never after the last step',
  async ({ sliceMs, steps, pauses }) => {
    const log: string[] = [];
    await forEachInSlices(steps, (i) => log.push(`step ${i}`), {
      sliceMs,
      pause: () => Promise.resolve(log.push('pause')),
    });
    expect(log.filter((e) => e === 'pause')).toHaveLength(pauses);
    expect(log.filter((e) => e !== 'pause')).toEqual(Array.from({ length: steps }, (_, i) => `step ${i}`));
    if (steps > 0) expect(log.at(-1)).toBe(`step ${steps - 1}`);
  },
);

test('by default a slice yields a turn of the event loop: an immediate queued before runs between steps', async () => {
  const log: string[] = [];
  setImmediate(() => log.push('other request'));
  await forEachInSlices(3, (i) => log.push(`step ${i}`), { sliceMs: 0 });
  expect(log).toEqual(['step 0', 'other request', 'step 1', 'step 2']);
});

test('items produced lazily are produced slice by slice, not all before the first step', async () => {
  const log: string[] = [];
  function* items(): Generator<number> {
    for (let i = 0; i < 3; i++) {
      log.push(`make ${i}`);
      yield i;
    }
  }
  await eachInSlices(items(), (item) => log.push(`step ${item}`), {
    sliceMs: 0,
    pause: () => Promise.resolve(log.push('pause')),
  });
  expect(log).toEqual(['make 0', 'step 0', 'make 1', 'pause', 'step 1', 'make 2', 'pause', 'step 2']);
});
