/**
 * The write probe behind /ready: whether the data directory takes a write right now. A one-byte
 * temporary file is created and removed, which fails on a read-only mount and on a full disk alike.
 */
import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { FILE_MODE } from './modes.js';
import { join } from 'node:path';
import { TEMP_PREFIX } from './atomic.js';
import { storageFaultOf, type StorageFault } from './faults.js';

/** The storage fault that stops writes in `dir`, or null if a write works; other errors are thrown. */
export async function probeWritable(dir: string): Promise<StorageFault | null> {
  const path = join(dir, `${TEMP_PREFIX}probe-${randomBytes(6).toString('hex')}`);
  try {
    await writeFile(path, '.', { flag: 'wx', mode: FILE_MODE });
  } catch (error) {
    await rm(path, { force: true }).catch(() => undefined);
    const fault = storageFaultOf(error);
    if (fault === null) throw error;
    return fault;
  }
  await rm(path, { force: true });
  return null;
}
