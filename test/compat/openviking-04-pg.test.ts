/**
 * openviking-04.test.ts on distributed mode's backend (SPEC 14): the same cases with every store of record
 * in PostgreSQL (a fresh database per file, test/helpers/full-app.ts), so both backends pass them.
 */
process.env['VS_TEST_BACKEND'] = 'pg';
await import('./openviking-04.test.js');
