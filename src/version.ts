/**
 * The package's folder and version, read once from the nearest package.json named `vikingscope` above
 * this module (it runs from src/ or dist/src/, so assets beside package.json are found from both).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const PackageJson = z.object({ name: z.string(), version: z.string() });

function findPackage(): { dir: string | undefined; version: string } {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 5; depth += 1) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      const parsed = PackageJson.safeParse(JSON.parse(readFileSync(candidate, 'utf8')));
      if (parsed.success && parsed.data.name === 'vikingscope') return { dir, version: parsed.data.version };
    }
    dir = dirname(dir);
  }
  return { dir: undefined, version: 'unknown' };
}

const found = findPackage();

export const VERSION = found.version;
/** The folder holding package.json (undefined when the module runs outside the package). */
export const PACKAGE_DIR = found.dir;
