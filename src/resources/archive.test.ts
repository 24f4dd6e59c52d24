import { sharedContentPdf, textLines } from '../../test/helpers/pdf.js';
import { archiveDocuments } from './archive.js';
import { DEFAULT_DOCUMENT_LIMITS } from './parse-jobs.js';

const html = (text: string) => Buffer.from(`<h1>${text}</h1>${'<p>para <b>bold</b></p>'.repeat(2000)}`);

test('the documents of one archive share one conversion budget: past it the import is a 413', async () => {
  const entries = Array.from({ length: 20 }, (_, i) => ({
    path: `kb/page${i}.html`,
    data: html(`Page ${i}`),
  }));
  const limits = { ...DEFAULT_DOCUMENT_LIMITS, archiveTimeoutMs: 50 };
  await expect(archiveDocuments(entries, {}, limits)).rejects.toMatchObject({
    code: 'PAYLOAD_TOO_LARGE',
    message: 'converting the documents of an archive may take at most 0.05 s',
    details: { timeout_s: 0.05 },
  });
  const done = await archiveDocuments(entries.slice(0, 2), {}, DEFAULT_DOCUMENT_LIMITS);
  expect(done.docs.map((d) => d.path)).toEqual(['page0.md', 'page1.md']);
});

test('the text all documents of one archive convert to is bounded: past it the import is a 413', async () => {
  const entries = ['a', 'b', 'c'].map((n) => ({ path: `kb/${n}.md`, data: Buffer.from(n.repeat(1000)) }));
  const limits = { ...DEFAULT_DOCUMENT_LIMITS, maxArchiveTextBytes: 2500 };
  await expect(archiveDocuments(entries, {}, limits)).rejects.toMatchObject({
    code: 'PAYLOAD_TOO_LARGE',
    details: { max_bytes: 2500, file: 'c.md' },
  });
  const fits = await archiveDocuments(entries, {}, { ...limits, maxArchiveTextBytes: 3000 });
  expect(fits.docs.map((d) => d.path)).toEqual(['a.md', 'b.md', 'c.md']);
});

test('a file refused with a 400 (unsupported type, HTML too deep) is skipped with a warning; a 413 fails the import', async () => {
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]);
  const skipped = await archiveDocuments(
    [
      { path: 'kb/logo.png', data: png },
      { path: 'kb/a.md', data: Buffer.from('# A') },
    ],
    {},
  );
  expect(skipped.docs.map((d) => d.path)).toEqual(['a.md']);
  expect(skipped.warnings).toEqual([expect.stringContaining('skipped logo.png: unsupported file type')]);
  const deep = { path: 'kb/deep.html', data: Buffer.from('<div>'.repeat(50)) };
  await expect(
    archiveDocuments([deep], {}, { ...DEFAULT_DOCUMENT_LIMITS, maxHtmlDepth: 10 }),
  ).resolves.toMatchObject({ docs: [], warnings: [expect.stringContaining('at most 10 levels deep')] });
  const pages = { path: 'kb/pages.pdf', data: sharedContentPdf(20, textLines('x', 1)) };
  await expect(
    archiveDocuments([pages], {}, { ...DEFAULT_DOCUMENT_LIMITS, maxPdfPages: 10 }),
  ).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE', details: { file: 'pages.pdf', limit: 10 } });
});
