/**
 * Issue 23: the bounds of parsing uploads are settings (src/config.ts), and what an archive expands
 * to on the main thread is at most MAX_UPLOAD_BYTES (it was 4 × MAX_UPLOAD_BYTES). Each limit
 * refuses the import with a 4xx naming it, and nothing is written.
 */
import { strToU8, zipSync } from 'fflate';
import { z } from 'zod';
import { deepHtml } from '../helpers/hostile-files.js';
import { sharedContentPdf, textLines } from '../helpers/pdf.js';
import { fullApp, type Client, type FullApp } from '../helpers/full-app.js';

const UPLOAD_LIMIT = 64 * 1024;
let full: FullApp;
let alice: Client;

beforeAll(async () => {
  full = await fullApp({
    accounts: [{ account_id: 'acme', users: ['alice'] }],
    env: {
      MAX_UPLOAD_BYTES: String(UPLOAD_LIMIT),
      PDF_MAX_PAGES: '3',
      HTML_MAX_DEPTH: '5',
      ZIP_MAX_ENTRIES: '2',
    },
  });
  alice = full.client({ account: 'acme', user: 'alice' });
});
afterAll(() => full.close());

async function add(data: Uint8Array | string, name: string) {
  const uploaded = await alice.post('/api/v1/resources/temp_upload').attach('file', Buffer.from(data), name);
  const { temp_file_id } = z
    .object({ result: z.object({ temp_file_id: z.string() }) })
    .parse(uploaded.body).result;
  const res = await alice.post('/api/v1/resources').send({ temp_file_id, wait: true });
  return { status: res.status, body: res.body as unknown };
}

/** `n` bytes of text that compress well (a zip of it stays far below the upload limit). */
const text = (n: number) => strToU8('the same line of a long document\n'.repeat(n / 33 + 1).slice(0, n));

test('a zip expanding past MAX_UPLOAD_BYTES is a 413 naming it, though each entry is within its limits', async () => {
  const zip = zipSync({ 'kb/a.md': text(40_000), 'kb/b.md': text(40_000) });
  expect(zip.length).toBeLessThan(UPLOAD_LIMIT / 8);
  const res = await add(zip, 'kb.zip');
  expect(res).toMatchObject({
    status: 413,
    body: {
      error: {
        code: 'PAYLOAD_TOO_LARGE',
        message: `an archive may expand to at most ${UPLOAD_LIMIT} bytes`,
        details: { max_bytes: UPLOAD_LIMIT },
      },
    },
  });
  // Within it, the same files import.
  const small = await add(zipSync({ 'kb/a.md': text(20_000), 'kb/b.md': text(20_000) }), 'kb.zip');
  expect(small.status).toBe(200);
});

test('ZIP_MAX_ENTRIES bounds the entries of an archive', async () => {
  const zip = zipSync({ 'kb/a.md': strToU8('# A'), 'kb/b.md': strToU8('# B'), 'kb/c.md': strToU8('# C') });
  expect(await add(zip, 'three.zip')).toMatchObject({
    status: 400,
    body: { error: { code: 'INVALID_ARGUMENT', message: 'invalid zip archive: more than 2 entries' } },
  });
});

test('PDF_MAX_PAGES bounds the pages of a PDF', async () => {
  expect(await add(sharedContentPdf(4, textLines('page', 1)), 'four.pdf')).toMatchObject({
    status: 413,
    body: {
      error: { code: 'PAYLOAD_TOO_LARGE', details: { file: 'four.pdf', limit: 3, pages: 4 } },
    },
  });
  expect((await add(sharedContentPdf(3, textLines('page', 1)), 'three.pdf')).status).toBe(200);
});

test('HTML_MAX_DEPTH bounds how deep HTML may nest', async () => {
  expect(await add(deepHtml(8), 'deep.html')).toMatchObject({
    status: 400,
    body: { error: { code: 'INVALID_ARGUMENT', details: { file: 'deep.html', limit: 5 } } },
  });
  expect((await add('<h1>Flat</h1><p>fine</p>', 'flat.html')).status).toBe(200);
});
