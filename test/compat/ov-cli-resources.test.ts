/**
 * The real OpenViking CLI (`ov` 0.4, from @openviking/cli-linux-x64) adds resources through our
 * server: a folder (which the CLI zips and uploads with temp_upload) and a single file, then finds
 * their text. The server listens on a loopback port; the CLI's config lives in a temporary HOME.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import { fullApp, ROOT_KEY, type FullApp } from '../helpers/full-app.js';

const OV = join(process.cwd(), 'node_modules', '@openviking', 'cli-linux-x64', 'bin', 'ov');
const run = promisify(execFile);

let full: FullApp;
let server: Server;
let home: string;

beforeAll(async () => {
  full = await fullApp({ accounts: [{ account_id: 'acme', users: ['alice'] }] });
  server = full.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  home = await mkdtemp(join(tmpdir(), 'vs-ov-home-'));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await mkdir(join(home, '.openviking'));
  const conf = { url, api_key: ROOT_KEY, account: 'acme', user: 'alice', agent_id: 'default' };
  await writeFile(join(home, '.openviking', 'ovcli.conf'), JSON.stringify(conf));
  await writeFile(join(home, '.openviking', 'ovcli.settings.conf'), JSON.stringify({ language: 'en' }));
  await mkdir(join(home, 'docs', 'sub'), { recursive: true });
  await writeFile(join(home, 'docs', 'README.md'), '# Osprey\n\nThe ospreyglyph lives here.\n');
  await writeFile(join(home, 'docs', 'sub', 'kestrel.txt'), 'kestrelmark notes\n');
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await full.close();
  await rm(home, { recursive: true, force: true });
});

/** Runs `ov <args> -o json` in the temporary HOME and returns its `result`. */
async function ov(...args: string[]): Promise<unknown> {
  const { stdout } = await run(OV, [...args, '-o', 'json'], {
    cwd: home,
    env: { PATH: process.env['PATH'] ?? '', HOME: home },
    timeout: 60_000,
  });
  const line = stdout.split('\n').find((l) => l.startsWith('{')) ?? stdout;
  return z.object({ ok: z.literal(true), result: z.unknown() }).parse(JSON.parse(line)).result;
}

const rootUri = (result: unknown) => z.object({ root_uri: z.string() }).parse(result).root_uri;

const foundUris = (result: unknown) =>
  z
    .object({ resources: z.array(z.object({ uri: z.string() })) })
    .parse(result)
    .resources.map((h) => h.uri);

test('ov add-resource uploads a folder as a zip and a file; ov find finds their text', async () => {
  expect(rootUri(await ov('add-resource', './docs', '--wait'))).toBe('viking://resources/docs');
  expect(foundUris(await ov('find', 'kestrelmark'))).toContain('viking://resources/docs/sub/kestrel.txt');
  const single = await ov('add-resource', './docs/README.md', '--to', 'viking://resources/osprey', '--wait');
  expect(rootUri(single)).toBe('viking://resources/osprey');
  expect(foundUris(await ov('find', 'ospreyglyph'))).toEqual(
    expect.arrayContaining(['viking://resources/docs/README.md', 'viking://resources/osprey/README.md']),
  );
});
