/**
 * `POST /api/v1/resources` end to end: uploads of text, HTML, PDF and zip folders land through the
 * filesystem (with folder summaries) and are found by search; tasks report async imports; a USER
 * cannot add into another user's scope; bad input gets a clear 4xx and writes nothing.
 */
import { strToU8, zipSync } from 'fflate';
import { z } from 'zod';
import { tinyPdf } from '../helpers/pdf.js';
import { errorCodeOf, fullApp, searchUris, type Client, type FullApp } from '../helpers/full-app.js';

let full: FullApp;
let alice: Client;
let root: Client;

beforeAll(async () => {
  full = await fullApp({
    accounts: [
      { account_id: 'acme', users: ['alice', 'bob'] },
      { account_id: 'other', users: ['olga'] },
    ],
    env: { MAX_FILE_BYTES: String(64 * 1024) },
  });
  alice = full.client({ account: 'acme', user: 'alice' });
  root = full.client({ account: 'acme', user: 'alice', root: true });
});
afterAll(() => full.close());

/** The `result` of a 200 answer (throws with the body otherwise). */
function resultOf(res: { status: number; body: unknown }): unknown {
  if (res.status !== 200) throw new Error(`answered ${res.status}: ${JSON.stringify(res.body)}`);
  return z.object({ result: z.unknown() }).parse(res.body).result;
}

const recordOf = (res: { status: number; body: unknown }) =>
  z.record(z.string(), z.unknown()).parse(resultOf(res));

async function upload(client: Client, data: Uint8Array | string, name: string): Promise<string> {
  const res = await client.post('/api/v1/resources/temp_upload').attach('file', Buffer.from(data), name);
  return z.string().parse(recordOf(res)['temp_file_id']);
}

async function add(
  client: Client,
  data: Uint8Array | string,
  name: string,
  body: Record<string, unknown> = {},
) {
  const temp_file_id = await upload(client, data, name);
  return client.post('/api/v1/resources').send({ temp_file_id, wait: true, ...body });
}

async function read(client: Client, uri: string): Promise<string> {
  return z.string().parse(resultOf(await client.get('/api/v1/content/read').query({ uri })));
}

/** Every URI below viking://resources, as ROOT sees it. */
async function resourceTree(): Promise<string[]> {
  const res = await root
    .get('/api/v1/fs/tree')
    .query({ uri: 'viking://resources', level_limit: 10, show_all_hidden: true });
  return z
    .array(z.object({ uri: z.string() }))
    .parse(resultOf(res))
    .map((e) => e.uri)
    .sort();
}

test('a text file: stored as it is below viking://resources/{name}, summarised and searchable', async () => {
  const res = await add(
    alice,
    '# Zanzibar runbook\n\nRestart the quokkafilter daemon first.\n',
    'runbook.md',
    { reason: 'ops docs' },
  );
  const result = recordOf(res);
  expect(result).toMatchObject({
    status: 'success',
    root_uri: 'viking://resources/runbook',
    source_path: 'runbook.md',
  });
  expect(await read(alice, 'viking://resources/runbook/runbook.md')).toBe(
    '# Zanzibar runbook\n\nRestart the quokkafilter daemon first.\n',
  );
  const abstract = resultOf(
    await alice.get('/api/v1/content/abstract').query({ uri: 'viking://resources/runbook' }),
  );
  expect(JSON.stringify(abstract)).toContain('Restart the quokkafilter daemon first.');
  const overview = resultOf(
    await alice.get('/api/v1/content/overview').query({ uri: 'viking://resources/runbook' }),
  );
  expect(JSON.stringify(overview)).toContain('Added because: ops docs');
  expect(await searchUris(alice, { query: 'quokkafilter' })).toContain(
    'viking://resources/runbook/runbook.md',
  );
  // The same name again gets a fresh root, as in OpenViking.
  expect(recordOf(await add(alice, 'second copy', 'runbook.md'))['root_uri']).toBe(
    'viking://resources/runbook_1',
  );
});

test('HTML becomes Markdown and PDF becomes text; both are searchable', async () => {
  const html =
    '<html><body><h1>Walrus guide</h1><script>evil()</script><p>Feed the walrusbeacon daily.</p></body></html>';
  expect(recordOf(await add(alice, html, 'walrus.html'))['root_uri']).toBe('viking://resources/walrus');
  expect(await read(alice, 'viking://resources/walrus/walrus.md')).toBe(
    '# Walrus guide\n\nFeed the walrusbeacon daily.\n',
  );
  expect(
    recordOf(await add(alice, tinyPdf('Pelican pdfmarker report'), 'pelican.pdf'))['meta'],
  ).toMatchObject({ format: 'pdf' });
  expect(await read(alice, 'viking://resources/pelican/pelican.md')).toContain('Pelican pdfmarker report');
  expect(await searchUris(alice, { query: 'walrusbeacon' })).toContain('viking://resources/walrus/walrus.md');
  expect(await searchUris(alice, { query: 'pdfmarker' })).toContain('viking://resources/pelican/pelican.md');
});

test('a zip of a folder keeps its structure, skips what cannot be imported, and summarises each folder', async () => {
  const zip = zipSync({
    'kb/README.md': strToU8('Knowledge base about narwhalsync.'),
    'kb/guides/setup.html': strToU8('<p>Install the narwhalsync agent.</p>'),
    'kb/guides/logo.png': new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]),
    'kb/.git/config': strToU8('[core]'),
    'kb/node_modules/x/index.js': strToU8('module.exports = 1;'),
    'kb/.env': strToU8('DB_PASSWORD=narwhalsecret'),
    // What macOS's Archive Utility adds beside the folder: skipped, and kb/ is still the root.
    '__MACOSX/kb/._README.md': strToU8('resource fork'),
  });
  const result = recordOf(await add(alice, zip, 'upload.zip', { ignore_dirs: 'drafts' }));
  expect(result).toMatchObject({ root_uri: 'viking://resources/kb', meta: { format: 'zip', documents: 2 } });
  // Everything left out is listed (issue 28): hidden files, dependency folders, unsupported files.
  expect(result['warnings']).toEqual([
    'skipped kb/.git/: hidden folder, never imported',
    'skipped kb/node_modules/: folder of dependencies or tool metadata, never imported',
    'skipped kb/.env: hidden file, never imported',
    'skipped __MACOSX/: folder of dependencies or tool metadata, never imported',
    expect.stringContaining('skipped guides/logo.png: unsupported file type: PNG image'),
  ]);
  expect(await searchUris(root, { query: 'narwhalsecret', mode: 'fulltext' })).toEqual([]);
  const tree = await resourceTree();
  expect(tree.filter((u) => u.startsWith('viking://resources/kb/'))).toEqual([
    'viking://resources/kb/.abstract.md',
    'viking://resources/kb/.overview.md',
    'viking://resources/kb/README.md',
    'viking://resources/kb/guides',
    'viking://resources/kb/guides/.abstract.md',
    'viking://resources/kb/guides/.overview.md',
    'viking://resources/kb/guides/setup.md',
  ]);
  expect(await searchUris(alice, { query: 'narwhalsync', target_uri: 'viking://resources/kb' })).toEqual(
    expect.arrayContaining(['viking://resources/kb/README.md', 'viking://resources/kb/guides/setup.md']),
  );
});

test('without wait the answer carries a task id; the task completes for its owner only', async () => {
  const temp_file_id = await upload(alice, 'Async import of the ibisledger.', 'ibis.txt');
  const result = recordOf(
    await alice.post('/api/v1/resources').send({ temp_file_id, to: 'viking://resources/birds/ibis' }),
  );
  expect(result['root_uri']).toBe('viking://resources/birds/ibis');
  const taskId = z.string().parse(result['task_id']);
  let task: Record<string, unknown> = {};
  for (let i = 0; i < 100 && task['status'] !== 'completed'; i++) {
    task = recordOf(await alice.get(`/api/v1/tasks/${taskId}`));
    if (task['status'] !== 'completed') await new Promise((r) => setTimeout(r, 50));
  }
  expect(task).toMatchObject({
    task_id: taskId,
    task_type: 'add_resource',
    status: 'completed',
    resource_id: 'viking://resources/birds/ibis',
  });
  expect(await searchUris(alice, { query: 'ibisledger' })).toContain(
    'viking://resources/birds/ibis/ibis.txt',
  );
  const bob = full.client({ account: 'acme', user: 'bob' });
  expect((await bob.get(`/api/v1/tasks/${taskId}`)).status).toBe(404);
  expect(resultOf(await bob.get('/api/v1/tasks'))).toEqual([]);
  const listed = z
    .array(z.object({ task_id: z.string() }))
    .parse(resultOf(await alice.get('/api/v1/tasks').query({ task_type: 'add_resource' })));
  expect(listed.map((t) => t.task_id)).toContain(taskId);
});

test("a USER adds into its own scope but not into another user's; nothing is written then", async () => {
  const own = recordOf(
    await add(alice, 'Private alice notes', 'mine.md', { to: 'viking://user/memories/imported' }),
  );
  expect(own['root_uri']).toBe('viking://user/alice/memories/imported');
  const before = await resourceTree();
  const denied = await add(alice, 'Sneaky', 'sneaky.md', { to: 'viking://user/bob/memories/sneaky' });
  expect(denied.status).toBe(403);
  expect(errorCodeOf(denied)).toBe('PERMISSION_DENIED');
  expect((await root.get('/api/v1/fs/stat').query({ uri: 'viking://user/bob/memories/sneaky' })).status).toBe(
    404,
  );
  expect((await add(alice, 'x', 'x.md', { to: 'viking://session/s1/x' })).status).toBe(403);
  expect((await add(alice, 'x', 'x.md', { to: 'viking://tmp/x' })).status).toBe(400);
  expect(await resourceTree()).toEqual(before);
});

test('a USER may name viking://resources as to or parent: only the files below it are written', async () => {
  const viaTo = await add(alice, 'Toucan facts', 'toucan.md', { to: 'viking://resources' });
  expect(recordOf(viaTo)['root_uri']).toBe('viking://resources/toucan');
  const viaParent = await add(alice, 'Puffin facts', 'puffin.md', { parent: 'viking://resources/' });
  expect(recordOf(viaParent)['root_uri']).toBe('viking://resources/puffin');
  const foreign = await add(alice, 'x', 'x.md', { parent: 'viking://user/bob/memories' });
  expect([foreign.status, errorCodeOf(foreign)]).toEqual([403, 'PERMISSION_DENIED']);
});

test("a parent that does not exist yet is created (the README's own example on a fresh store)", async () => {
  const res = await add(alice, 'Gannet field notes', 'gannet.md', { parent: 'viking://resources/web' });
  expect(recordOf(res)['root_uri']).toBe('viking://resources/web/gannet');
  expect(await read(alice, 'viking://resources/web/gannet/gannet.md')).toBe('Gannet field notes');
  // …but not where the caller may not write: refused before anything is fetched or written.
  const foreign = await add(alice, 'x', 'x.md', { parent: 'viking://user/bob/new-folder' });
  expect([foreign.status, errorCodeOf(foreign)]).toEqual([403, 'PERMISSION_DENIED']);
});

test('bad input gets a clear 4xx and writes nothing', async () => {
  const before = await resourceTree();
  const cases: [Uint8Array | string, string, Record<string, unknown>, number, string][] = [
    [
      Buffer.concat([Buffer.from('PK\u0003\u0004'), Buffer.alloc(200, 7)]),
      'broken.zip',
      {},
      400,
      'invalid zip archive',
    ],
    [
      zipSync({ 'ok.md': strToU8('fine'), '../escape.md': strToU8('evil') }),
      'slip.zip',
      {},
      400,
      "leaves the archive ('..')",
    ],
    [zipSync({ 'big.md': new Uint8Array(65 * 1024).fill(97) }), 'big.zip', {}, 413, 'at most 65536 bytes'],
    [
      new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      'photo.png',
      {},
      400,
      'unsupported file type: PNG image',
    ],
    [
      zipSync({ 'a.png': new Uint8Array([0x89, 0x50, 0x4e, 0x47]) }),
      'images.zip',
      {},
      400,
      'no file that can be imported',
    ],
    ['x', 'x.md', { to: 'viking://resources/a', parent: 'viking://resources' }, 400, "'to' and 'parent'"],
    ['x', 'x.md', { parent: 'viking://resources/kb/README.md' }, 412, "'parent' is not a folder"],
    ['x', 'x.md', { watch_interval: 5 }, 400, 'not supported'],
  ];
  for (const [data, name, body, status, message] of cases) {
    const res = await add(alice, data, name, body);
    expect([name, res.status]).toEqual([name, status]);
    expect(JSON.stringify(res.body)).toContain(message);
  }
  expect(await resourceTree()).toEqual(before);
});

test('path: local server paths are refused; upload ids are checked and used once', async () => {
  for (const path of [
    '/tmp/notes.md',
    './notes.md',
    'C:\\notes.md',
    'viking://resources/x',
    'file:///etc/passwd',
  ]) {
    const res = await alice.post('/api/v1/resources').send({ path });
    expect([path, res.status, errorCodeOf(res)]).toEqual([path, 400, 'INVALID_ARGUMENT']);
  }
  expect((await alice.post('/api/v1/resources').send({ reason: 'nothing' })).status).toBe(400);
  // Without ALLOW_PRIVATE_URLS a URL to a loopback or private address is refused before connecting.
  for (const path of [
    'http://127.0.0.1:9/x.md',
    'http://[::1]:9/x.md',
    'http://10.0.0.1/x.md',
    'http://169.254.169.254/latest',
  ]) {
    const res = await alice.post('/api/v1/resources').send({ path, wait: true });
    expect([path, res.status, errorCodeOf(res)]).toEqual([path, 403, 'PERMISSION_DENIED']);
  }
  expect((await alice.post('/api/v1/resources').send({ temp_file_id: '../../fs/acme' })).status).toBe(400);
  expect(
    (await alice.post('/api/v1/resources').send({ temp_file_id: `upload_${'0'.repeat(32)}.md` })).status,
  ).toBe(404);
  const olgasUpload = await upload(full.client({ account: 'other', user: 'olga' }), 'olga', 'o.md');
  expect((await alice.post('/api/v1/resources').send({ temp_file_id: olgasUpload })).status).toBe(404);
  const id = await upload(alice, 'once', 'once.md');
  expect((await alice.post('/api/v1/resources').send({ temp_file_id: id, wait: true })).status).toBe(200);
  expect((await alice.post('/api/v1/resources').send({ temp_file_id: id, wait: true })).status).toBe(404);
});
