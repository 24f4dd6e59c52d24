/**
 * SPEC 3–4 through the filesystem: every case of namespace-cases.json. Each case gets its own account;
 * the target is created as ROOT (sessions and folders directly on disk), then read as the identity:
 * content (or the folder's stat) when readable, 403 when not, the case's error code for bad URIs.
 * Writes as the identity follow the same table (write permission = read permission).
 */
import { mkdir, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { isScopeRoot } from '../../src/fs/access.js';
import { resolveUri, type NamespacePolicy, type Role } from '../../src/policy/index.js';
import { pathOfUri } from '../../src/storage/paths.js';
import { codeOf, createTestFs, ctxOf, type TestFs } from '../helpers/vfs.js';

interface Case {
  policy: NamespacePolicy;
  identity: { role: Role; user_id: string; agent_id: string };
  uri: string;
  expect: { error: string } | { canonical: string; is_container: boolean; readable: boolean };
}

const file = new URL('../../../shared/conformance/namespace-cases.json', import.meta.url);
const cases = (JSON.parse(readFileSync(file, 'utf8')) as { cases: Case[] }).cases;
const makeDir = promisify(mkdir);

let fs: TestFs;
beforeAll(async () => {
  fs = await createTestFs();
});
afterAll(() => fs.cleanup());

function label(c: Case, i: number): string {
  const p = `${Number(c.policy.isolate_user_scope_by_agent)}${Number(c.policy.isolate_agent_scope_by_user)}`;
  return `#${i} policy ${p} ${c.identity.role} ${JSON.stringify(c.uri.slice(0, 60))}`;
}

test.each(cases.map((c, i) => [label(c, i), c, i] as const))('%s', async (_name, c, i) => {
  const account = `case${i}`;
  const ctx = ctxOf(c.identity.role, c.identity.user_id, c.identity.agent_id, c.policy, account);
  if ('error' in c.expect) {
    expect(await codeOf(fs.vfs.read(ctx, c.uri))).toBe(c.expect.error);
    expect(await codeOf(fs.vfs.stat(ctx, c.uri))).toBe(c.expect.error);
    expect(await codeOf(fs.vfs.write(ctx, { uri: c.uri, content: 'x' }))).toBe(c.expect.error);
    return;
  }
  const root = ctxOf('root', 'root-user', 'root-agent', c.policy, account);
  await fs.vfs.initAccount(account);
  const resolved = resolveUri(c.expect.canonical, null, c.policy);
  const path = pathOfUri(fs.dataDir, account, resolved.uri);
  const isFolder = resolved.is_container || resolved.segments.length <= 1 || isScopeRoot(ctx, resolved);
  const content = `content of case ${i}`;
  if (isFolder) await makeDir(path, { recursive: true });
  else if (resolved.scope === 'session') {
    await makeDir(dirname(path), { recursive: true });
    await writeFile(path, content);
  } else await fs.vfs.write(root, { uri: resolved.uri, content });

  if (!c.expect.readable) {
    expect(await codeOf(fs.vfs.stat(ctx, c.uri))).toBe('PERMISSION_DENIED');
    expect(await codeOf(fs.vfs.read(ctx, c.uri))).toBe('PERMISSION_DENIED');
    expect(await codeOf(fs.vfs.write(ctx, { uri: c.uri, content: 'y' }))).toBe('PERMISSION_DENIED');
    return;
  }
  const info = await fs.vfs.stat(ctx, c.uri);
  expect(info.uri).toBe(c.expect.canonical);
  expect(info.isDir).toBe(isFolder);
  if (isFolder) return;
  expect(await fs.vfs.read(ctx, c.uri)).toBe(content);
  const written = await codeOf(fs.vfs.write(ctx, { uri: c.uri, content: 'y' }));
  expect(written).toBe(resolved.scope === 'session' ? 'PERMISSION_DENIED' : 'ok');
});
