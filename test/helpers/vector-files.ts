/**
 * The in-memory index's vector files this process holds open (Linux: /proc/self/fd), found by the
 * directory they were created in: they are unlinked, so only an open descriptor still names them.
 */
import { readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

export function vectorFileDescriptors(dir: string): number[] {
  const found: number[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = readlinkSync(join('/proc/self/fd', fd));
    } catch {
      continue;
    }
    if (target.startsWith(join(dir, 'vectors-'))) found.push(Number(fd));
  }
  return found;
}
