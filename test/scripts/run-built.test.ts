/**
 * `npm run backup|restore|reindex|bulk-index` (scripts/run-built.mjs, issue 28): builds dist/ only
 * when a source under src/ or scripts/ is newer than the compiled script, says so when it builds, and
 * passes the arguments and the exit code through. Runs the real run-built.mjs from a scratch project
 * root whose node_modules/typescript/bin/tsc is a stub that records its call and writes the entry, so
 * no real compile is needed.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../helpers/compiled.js';
import { tempDir } from '../helpers/temp-dir.js';

const run = promisify(execFile);
const work = tempDir('vs-run-built-');
afterAll(() => work.remove());

/** The compiled script: prints its arguments and exits with the code given as its first one. */
const ENTRY = `console.log('ran ' + process.argv.slice(2).join(' '));
process.exit(Number(process.argv[2] ?? 0));
`;

/** A stub tsc: notes that it ran, then "compiles" by writing the entry. */
const STUB_TSC = `const { mkdirSync, writeFileSync, appendFileSync } = require('node:fs');
const { join } = require('node:path');
const root = join(__dirname, '..', '..', '..');
appendFileSync(join(root, 'tsc-calls'), process.argv.slice(2).join(' ') + '\\n');
mkdirSync(join(root, 'dist', 'scripts'), { recursive: true });
writeFileSync(join(root, 'dist', 'scripts', 'hello.js'), ${JSON.stringify(ENTRY)});
`;

const OLD = new Date('2020-01-01T00:00:00Z');
const NEW = new Date('2024-01-01T00:00:00Z');

/** A project root: scripts/run-built.mjs, src/ and scripts/ sources at `sourcesAt`, a stub tsc. */
function project(name: string, sourcesAt: Date): string {
  const root = join(work.path, name);
  mkdirSync(join(root, 'src', 'nested'), { recursive: true });
  mkdirSync(join(root, 'scripts'));
  mkdirSync(join(root, 'node_modules', 'typescript', 'bin'), { recursive: true });
  copyFileSync(join(REPO_ROOT, 'scripts', 'run-built.mjs'), join(root, 'scripts', 'run-built.mjs'));
  writeFileSync(join(root, 'node_modules', 'typescript', 'bin', 'tsc'), STUB_TSC);
  // package.json marks the stub as CommonJS whatever the scratch root's parents say.
  writeFileSync(join(root, 'node_modules', 'typescript', 'package.json'), '{"type":"commonjs"}');
  writeFileSync(join(root, 'src', 'nested', 'a.ts'), 'export const a = 1;\n');
  writeFileSync(join(root, 'scripts', 'hello.ts'), 'export {};\n');
  for (const file of ['src/nested/a.ts', 'scripts/hello.ts', 'scripts/run-built.mjs']) {
    utimesSync(join(root, file), sourcesAt, sourcesAt);
  }
  return root;
}

/** Writes dist/scripts/hello.js as if built at `at`. */
function built(root: string, at: Date): void {
  mkdirSync(join(root, 'dist', 'scripts'), { recursive: true });
  writeFileSync(join(root, 'dist', 'scripts', 'hello.js'), ENTRY);
  utimesSync(join(root, 'dist', 'scripts', 'hello.js'), at, at);
}

async function runBuilt(root: string, args: string[]) {
  try {
    const out = await run(process.execPath, [join(root, 'scripts', 'run-built.mjs'), 'hello', ...args]);
    return { code: 0, ...out };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

const tscCalls = (root: string): string =>
  existsSync(join(root, 'tsc-calls')) ? readFileSync(join(root, 'tsc-calls'), 'utf8') : '';

test('a current build is not rebuilt: no "building" line, the script runs, its exit code passes', async () => {
  const root = project('current', OLD);
  built(root, NEW);
  const result = await runBuilt(root, ['3', 'x']);
  expect(result.stderr).not.toContain('building dist/');
  expect(tscCalls(root)).toBe('');
  expect(result.stdout).toBe('ran 3 x\n');
  expect(result.code).toBe(3);
});

test('a build older than a source under src/ is rebuilt, saying so, then the script runs', async () => {
  const root = project('stale-src', OLD);
  built(root, NEW);
  utimesSync(join(root, 'src', 'nested', 'a.ts'), new Date(), new Date());
  const result = await runBuilt(root, ['0', 'y']);
  expect(result.stderr).toContain('building dist/');
  expect(tscCalls(root)).toBe(`-p ${join(root, 'scripts', 'tsconfig.build.json')}\n`);
  expect(result.stdout).toBe('ran 0 y\n');
  expect(result.code).toBe(0);
});

test('a build older than a source under scripts/ is rebuilt; a missing one is built', async () => {
  const stale = project('stale-scripts', NEW);
  built(stale, OLD);
  const rebuilt = await runBuilt(stale, ['4']);
  expect(rebuilt.stderr).toContain('building dist/');
  expect(tscCalls(stale)).not.toBe('');
  expect(rebuilt.code).toBe(4);

  const fresh = project('never-built', OLD);
  const first = await runBuilt(fresh, ['0']);
  expect(first.stderr).toContain('building dist/');
  expect(first.stdout).toBe('ran 0\n');
});
