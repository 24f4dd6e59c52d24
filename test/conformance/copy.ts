/**
 * The comparison behind copy.test.ts: the repository's copy of the conformance cases against the
 * shared contract, file by file, byte for byte.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** Every file below `dir`, as `/`-separated paths relative to it, sorted. */
export function filesBelow(dir: string): string[] {
  const out: string[] = [];
  const walk = (at: string): void => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      else out.push(relative(dir, path).split(sep).join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

/**
 * How `copy` differs from `shared`, one line per file naming it (empty when they are equal): a file
 * of the shared folder the copy lacks, one the copy has that the shared folder does not, or one whose
 * bytes differ.
 */
export function differences(copy: string, shared: string): string[] {
  const ours = new Set(existsSync(copy) ? filesBelow(copy) : []);
  const theirs = filesBelow(shared);
  const out: string[] = [];
  for (const name of theirs) {
    if (!ours.has(name)) out.push(`${name}: in ${shared} but not in the copy ${copy}`);
    else if (!readFileSync(join(copy, name)).equals(readFileSync(join(shared, name))))
      out.push(`${name}: differs from ${join(shared, name)}`);
  }
  for (const name of ours)
    if (!theirs.includes(name)) out.push(`${name}: in the copy ${copy} but not in ${shared}`);
  return out;
}
