import { AppError, detailsOf, errnoOf, errorNameOf, isErrorLike, itemAt, messageOf } from './errors.js';

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

test('messageOf gives the message of anything thrown, or its string form', () => {
  expect(messageOf(new SyntaxError('bad pattern'))).toBe('bad pattern');
  expect(messageOf({ message: 'from another realm' })).toBe('from another realm');
  expect(messageOf({ message: 42 })).toBe('[object Object]');
  expect(messageOf('plain text')).toBe('plain text');
  expect(messageOf(undefined)).toBe('undefined');
});

test('detailsOf reads the details of an error of the given code only', () => {
  const error: AppError = new AppError('RESOURCE_EXHAUSTED', 'behind', {
    account_id: 'acme',
    retry_after_s: 2,
  });
  expect(detailsOf(error, 'RESOURCE_EXHAUSTED')?.retry_after_s).toBe(2);
  expect(detailsOf(error, 'UNAVAILABLE')).toBeUndefined();
  expect(new AppError('NOT_FOUND', 'gone').details).toEqual({});
});

test('each code takes the details of its own shape (checked by tsc)', () => {
  // @ts-expect-error retry_after_s is a number
  const wrongType = new AppError('UNAVAILABLE', 'busy', { retry_after_s: '5' });
  // @ts-expect-error NOT_FOUND names what is missing; it has no retry hint
  const wrongKey = new AppError('NOT_FOUND', 'gone', { retry_after_s: 5 });
  // @ts-expect-error a storage fault always names its reason and errno
  const missing = new AppError('INSUFFICIENT_STORAGE', 'disk full');
  expect([wrongType, wrongKey, missing].map((e) => e.code)).toEqual([
    'UNAVAILABLE',
    'NOT_FOUND',
    'INSUFFICIENT_STORAGE',
  ]);
});

test('itemAt returns the item at an index and throws INTERNAL on a hole or past the end', () => {
  expect(itemAt(['a', 'b'], 1)).toBe('b');
  expect(itemAt(new Int32Array([0, 7]), 0)).toBe(0);
  const holes: Array<string | undefined> = ['a', undefined];
  expect(() => itemAt(holes, 1)).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
  expect(() => itemAt(['a'], 1)).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
  expect(() => itemAt(['a'], -1)).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
});

test('errorNameOf and isErrorLike read errors of any realm by their fields', () => {
  const timeout = new DOMException('slow', 'TimeoutError');
  expect(errorNameOf(timeout)).toBe('TimeoutError');
  expect(errorNameOf({ name: 'AbortError' })).toBe('AbortError');
  expect(errorNameOf({ name: 5 })).toBeUndefined();
  expect(errorNameOf(null)).toBeUndefined();
  expect(isErrorLike(new TypeError('x'))).toBe(true);
  expect(isErrorLike(timeout)).toBe(true);
  expect(isErrorLike({ name: 'Error', message: 'from another realm' })).toBe(true);
  expect(isErrorLike({ message: 'no name' })).toBe(false);
  expect(isErrorLike('Error: text')).toBe(false);
});
