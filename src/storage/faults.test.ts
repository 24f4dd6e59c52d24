import { AppError } from '../errors.js';
import { storageError, storageFaultOf } from './faults.js';

const errno = (code: string): Error => Object.assign(new Error(`${code}: failed`), { code });

test.each([
  ['ENOSPC', errno('ENOSPC'), { kind: 'disk_full', errno: 'ENOSPC' }],
  ['EDQUOT', errno('EDQUOT'), { kind: 'disk_full', errno: 'EDQUOT' }],
  ['EROFS', errno('EROFS'), { kind: 'read_only', errno: 'EROFS' }],
  ['EACCES', errno('EACCES'), { kind: 'permission_denied', errno: 'EACCES' }],
  [
    'a LanceDB I/O error',
    new Error('lance error: IO: Generic LocalFileSystem error: No space left on device (os error 28)'),
    { kind: 'disk_full', errno: 'ENOSPC' },
  ],
  ['os error 30', new Error('Unable to open file: (os error 30)'), { kind: 'read_only', errno: 'EROFS' }],
  ['a message only', new Error('Read-only file system'), { kind: 'read_only', errno: 'EROFS' }],
  ['a cause', new Error('write failed', { cause: errno('ENOSPC') }), { kind: 'disk_full', errno: 'ENOSPC' }],
  [
    'its own error',
    storageError({ kind: 'read_only', errno: 'EROFS' }),
    { kind: 'read_only', errno: 'EROFS' },
  ],
  ['ENOENT', errno('ENOENT'), null],
  ['an inherited name', errno('toString'), null],
  ['another os error', new Error('Connection refused (os error 111)'), null],
  ['another AppError', new AppError('NOT_FOUND', 'no space left on device'), null],
  ['not an error', 'ENOSPC', null],
  ['nothing', undefined, null],
])('storageFaultOf(%s)', (_name, error, fault) => {
  expect(storageFaultOf(error)).toEqual(fault);
});

test.each([
  ['disk_full', 'ENOSPC', /disk is full \(ENOSPC\)/],
  ['read_only', 'EROFS', /read-only \(EROFS\)/],
  ['permission_denied', 'EACCES', /may not write .*EACCES/],
] as const)('storageError(%s) is INSUFFICIENT_STORAGE naming the cause', (kind, code, message) => {
  const error = storageError({ kind, errno: code });
  expect(error).toMatchObject({ code: 'INSUFFICIENT_STORAGE', details: { reason: kind, errno: code } });
  expect(error.message).toMatch(message);
});
