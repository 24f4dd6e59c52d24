// Module hooks for ts-register.mjs: `./x.js` falls back to `./x.ts`, and `.ts` files are transpiled
// (types stripped, no type checking) with the project's TypeScript.
// Transpiling the ~250 files a server imports costs a child process several seconds of CPU, and the
// tests start many children: the output is kept on disk, keyed by the source's hash and the
// TypeScript version, in the jest run's build folder (VS_TEST_BUILD_DIR, removed after the run) or,
// outside jest, in a folder of the system's temporary directory.
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// TypeScript itself (a second of loading) is imported only when a file is not in the cache.
const TS_PACKAGE = new URL('../../node_modules/typescript/package.json', import.meta.url);
const { version } = JSON.parse(readFileSync(TS_PACKAGE, 'utf8'));
const cacheDir = join(process.env.VS_TEST_BUILD_DIR ?? tmpdir(), `vs-ts-cache-${version}`);
mkdirSync(cacheDir, { recursive: true });

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    if (!specifier.startsWith('.') || !specifier.endsWith('.js')) throw error;
    return nextResolve(specifier.slice(0, -3) + '.ts', context);
  }
}

/** The transpiled module, from the cache when the same source was transpiled before. */
async function transpiled(url, source) {
  const key = createHash('sha256').update(url).update('\0').update(source).digest('hex');
  const cached = join(cacheDir, `${key}.js`);
  try {
    return await readFile(cached, 'utf8');
  } catch {
    const { default: ts } = await import('typescript');
    const { outputText } = ts.transpileModule(source, {
      fileName: url,
      compilerOptions: {
        module: ts.ModuleKind.ESNext,
        target: ts.ScriptTarget.ES2022,
        verbatimModuleSyntax: true,
      },
    });
    // Written aside and renamed, so a concurrent reader sees the whole file or none.
    const partial = `${cached}.${randomUUID()}.tmp`;
    await writeFile(partial, outputText);
    await rename(partial, cached);
    return outputText;
  }
}

export async function load(url, context, nextLoad) {
  if (!url.endsWith('.ts')) return nextLoad(url, context);
  const source = await readFile(new URL(url), 'utf8');
  return { format: 'module', source: await transpiled(url, source), shortCircuit: true };
}
