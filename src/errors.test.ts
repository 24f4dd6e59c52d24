import { errnoOf } from './errors.js';

test('errnoOf names the errno of node errors, from any realm, and nothing else', async () => {
  const { readFile } = await import('node:fs/promises');
  const missing: unknown = await readFile('/nonexistent/vikingscope').catch((e: unknown) => e);
  expect(errnoOf(missing)).toBe('ENOENT');
  expect(errnoOf({ code: 'EEXIST' })).toBe('EEXIST');
  expect(errnoOf(new Error('plain'))).toBeUndefined();
  expect(errnoOf({ code: 28 })).toBeUndefined();
  expect(errnoOf(null)).toBeUndefined();
  expect(errnoOf('ENOENT')).toBeUndefined();
});
