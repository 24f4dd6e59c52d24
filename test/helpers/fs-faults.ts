/**
 * `mockFsFaults()` replaces `node:fs/promises` for a jest test file with one whose writes fail on
 * demand (see faulty-fs.ts). Call it before the code under test is imported (dynamically):
 * `const faults = mockFsFaults(); const { fullApp } = await import('../helpers/full-app.js');`.
 */
import { jest } from '@jest/globals';
import { faultyFs, type Fs, type FsFaults } from './faulty-fs.js';

export type { FsFaults, InjectedErrno } from './faulty-fs.js';

export function mockFsFaults(): FsFaults {
  const real = jest.requireActual<Fs>('node:fs/promises');
  const { module, faults } = faultyFs(real);
  const mocked = { ...real, ...module };
  jest.unstable_mockModule('node:fs/promises', () => ({ ...mocked, default: mocked }));
  return faults;
}
