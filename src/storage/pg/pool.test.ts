import { AppError } from '../../errors.js';
import { isUnavailable, mapPgError, sqlStateOf } from './pool.js';

/** An error shaped like pg's DatabaseError (a SQLSTATE in `code`). */
const dbError = (code: string) => Object.assign(new Error(`sqlstate ${code}`), { code, severity: 'FATAL' });
const sysError = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code });

describe('mapPgError: an unreachable database is UNAVAILABLE (503 with Retry-After), never a 500', () => {
  test.each([
    ['57P01 admin shutdown', dbError('57P01')],
    ['57P02 crash shutdown', dbError('57P02')],
    ['57P03 cannot connect now (starting up)', dbError('57P03')],
    ['08006 connection failure', dbError('08006')],
    ['08001 cannot establish', dbError('08001')],
    ['53300 too many connections', dbError('53300')],
    ['57014 statement timeout', dbError('57014')],
    ['25006 read-only (a failover in progress)', dbError('25006')],
    ['40001 serialization failure after the retries', dbError('40001')],
    ['ECONNREFUSED', sysError('ECONNREFUSED')],
    ['ECONNRESET', sysError('ECONNRESET')],
    ['ETIMEDOUT', sysError('ETIMEDOUT')],
    ['pg: Connection terminated unexpectedly', new Error('Connection terminated unexpectedly')],
    [
      'pg: Connection terminated due to connection timeout',
      new Error('Connection terminated due to connection timeout'),
    ],
    [
      'pg-pool: timeout exceeded when trying to connect',
      new Error('timeout exceeded when trying to connect'),
    ],
    ['pg: Query read timeout', new Error('Query read timeout')],
  ])('%s', (_name, error) => {
    expect(isUnavailable(error)).toBe(true);
    const mapped = mapPgError(error);
    expect(mapped).toBeInstanceOf(AppError);
    expect(mapped).toMatchObject({ code: 'UNAVAILABLE', details: { retry_after_s: 1 } });
  });

  test.each([
    ['23505 unique violation', dbError('23505')],
    ['42P01 undefined table (a bug)', dbError('42P01')],
    ['22P02 invalid text representation', dbError('22P02')],
    ['a TypeError', new TypeError('cannot read x')],
    ['ENOENT', sysError('ENOENT')],
  ])('%s is left as it is', (_name, error) => {
    expect(isUnavailable(error)).toBe(false);
    expect(mapPgError(error)).toBe(error);
  });

  test('an AppError passes through unchanged', () => {
    const error = new AppError('NOT_FOUND', 'no such account', { account_id: 'a' });
    expect(mapPgError(error)).toBe(error);
  });

  test.each([
    [dbError('40P01'), '40P01'],
    [sysError('ECONNRESET'), undefined],
    [new Error('x'), undefined],
  ])('sqlStateOf %#', (error, state) => {
    expect(sqlStateOf(error)).toBe(state);
  });
});
