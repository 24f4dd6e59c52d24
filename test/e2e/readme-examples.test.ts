/**
 * Issue 28, "done when": the README's examples run as written on a fresh store. Every `sh` block the
 * README marks with `<!-- replayed on a fresh store by test/e2e/readme-examples.test.ts -->` is run,
 * in order, in one bash (so a key exported by one block is sent by the next), with the real curl
 * against the real server on a fresh DATA_DIR started with a ROOT_API_KEY. Only the port differs.
 * Any answer of 400 or more fails the run (curl --fail-with-body), naming the block.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fullApp, ROOT_KEY, type FullApp } from '../helpers/full-app.js';
import { REPO_ROOT } from '../helpers/compiled.js';
import { tempDir } from '../helpers/temp-dir.js';

const run = promisify(execFile);
const MARK = '<!-- replayed on a fresh store by test/e2e/readme-examples.test.ts -->';

/** The marked blocks of the README, in order. */
function markedBlocks(readme: string): string[] {
  const blocks: string[] = [];
  for (const part of readme.split(MARK).slice(1)) {
    const body = /^\s*```sh\n([\s\S]*?)\n```/.exec(part)?.[1];
    if (body === undefined) throw new Error(`a marked README block is not a sh block: ${part.slice(0, 80)}`);
    blocks.push(body);
  }
  return blocks;
}

let full: FullApp;
let server: Server;
const work = tempDir('vs-readme-');

beforeAll(async () => {
  full = await fullApp();
  server = full.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await full.close();
  work.remove();
});

test('the marked README examples run as written against a fresh store', async () => {
  const blocks = markedBlocks(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8'));
  expect(blocks.length).toBeGreaterThanOrEqual(3);
  const port = (server.address() as AddressInfo).port;
  // Each block's output is kept; a failing curl ends the script with the block's number.
  const script = [
    'set -eo pipefail',
    'curl() { command curl --fail-with-body "$@"; echo; }',
    ...blocks.map(
      (block, i) => `echo "### block ${i + 1}"\n${block.replaceAll('localhost:1933', `localhost:${port}`)}`,
    ),
  ].join('\n');
  const env = { PATH: process.env['PATH'] ?? '', HOME: work.path, ROOT_API_KEY: ROOT_KEY };
  const { stdout } = await run('bash', ['-c', script], { cwd: work.path, env, timeout: 60_000 }).catch(
    (error: { stdout?: string; stderr?: string; message: string }) => {
      throw new Error(
        `a README example failed: ${error.message}\n${error.stdout ?? ''}\n${error.stderr ?? ''}`,
      );
    },
  );
  const answers = stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { status?: string; result?: unknown });
  // The admin block's first answer is read by sed; the rest are printed: every one is a success.
  expect(answers.length).toBeGreaterThanOrEqual(6);
  for (const answer of answers) expect(answer.status).toBe('ok');
  expect(stdout).toContain('"root_uri":"viking://resources/runbook"');
  expect(stdout).toContain('"uri":"viking://resources/docs/deploy.md"');
});
