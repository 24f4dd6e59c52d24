import { deepHtml } from '../../test/helpers/hostile-files.js';
import { sharedContentPdf, textLines, tinyPdf } from '../../test/helpers/pdf.js';
import { convertFile } from './convert.js';
import { DEFAULT_DOCUMENT_LIMITS } from './parse-jobs.js';

const bytes = (text: string) => Buffer.from(text, 'utf8');

test.each([
  ['notes.md', '# Notes\n\nSome *markdown*.'],
  ['main.py', 'def f():\n    return 1\n'],
  ['data.json', '{"a": [1, 2]}'],
  ['conf.yaml', 'a: 1\nb: [x, y]\n'],
  ['table.csv', 'a,b\n1,2\n'],
  ['README', 'plain text without an extension, ünïcödé'],
])('%s is stored as it is', async (name, text) => {
  await expect(convertFile(name, bytes(text))).resolves.toEqual({ name, content: text, format: 'text' });
});

test('HTML becomes Markdown without scripts or styles', async () => {
  const html =
    '<html><head><title>T</title><style>p{}</style></head><body><h1>Guide</h1><script>alert(1)</script><p>Use <b>care</b>.</p></body></html>';
  const converted = await convertFile('guide.html', bytes(html));
  expect(converted).toEqual({ name: 'guide.md', content: '# Guide\n\nUse **care**.\n', format: 'html' });
  // A fetched page is HTML by its media type, whatever its name.
  expect((await convertFile('page', bytes('<p>x</p>'), 'text/html')).name).toBe('page.md');
});

test('PDF becomes its text', async () => {
  const converted = await convertFile('paper.pdf', tinyPdf('Quokkas live on Rottnest'));
  expect(converted.name).toBe('paper.md');
  expect(converted.format).toBe('pdf');
  expect(converted.content).toContain('Quokkas live on Rottnest');
});

test('a broken PDF is a 400 naming the file', async () => {
  await expect(convertFile('bad.pdf', bytes('%PDF-1.4 garbage'))).rejects.toMatchObject({
    code: 'INVALID_ARGUMENT',
    details: { file: 'bad.pdf' },
  });
});

test.each([
  ['photo.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]), 'PNG image'],
  ['tool', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), 'ELF executable'],
  ['blob.bin', Buffer.from([0, 1, 2, 3, 255]), "binary '.bin' file"],
])('binary %s is unsupported', async (name, data, type) => {
  await expect(convertFile(name, data)).rejects.toMatchObject({
    code: 'INVALID_ARGUMENT',
    details: { type },
  });
  await expect(convertFile(name, data)).rejects.toThrow(`unsupported file type: ${type}`);
});

describe('document limits (issue 23: PDF page amplification, deep HTML)', () => {
  const limits = { ...DEFAULT_DOCUMENT_LIMITS, maxPdfPages: 100, maxTextBytes: 20_000 };

  test('a PDF whose pages share one content stream is refused at the page limit, before extracting', async () => {
    const pdf = sharedContentPdf(200, textLines('shared', 5));
    await expect(convertFile('pages.pdf', pdf, '', limits)).rejects.toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      message: 'a PDF may have at most 100 pages (pages.pdf)',
      details: { file: 'pages.pdf', limit: 100, pages: 200 },
    });
  });

  test('the text is checked after each page: past the output limit the PDF is a 413 naming it', async () => {
    // 50 pages of ~2 KB of text each: the limit (20 KB) is passed on page 10 or so.
    const pdf = sharedContentPdf(50, textLines('amplified text line of the shared stream', 50));
    const started = performance.now();
    await expect(convertFile('big.pdf', pdf, '', limits)).rejects.toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      details: { file: 'big.pdf', max_bytes: 20_000 },
    });
    // The whole document converts to ~100 KB: the refusal does not wait for it.
    const whole = await convertFile('big.pdf', pdf, '', { ...limits, maxTextBytes: 1e9 });
    expect(whole.content.length).toBeGreaterThan(90_000);
    expect(performance.now() - started).toBeLessThan(30_000);
  });

  test('a PDF that takes longer than the deadline is a 413 naming it; the next one converts', async () => {
    const pdf = sharedContentPdf(300, textLines('slow page text', 400));
    await expect(
      convertFile('slow.pdf', pdf, '', { ...limits, maxPdfPages: 1000, maxTextBytes: 1e9, timeoutMs: 100 }),
    ).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE', details: { file: 'slow.pdf', timeout_s: 0.1 } });
    const after = await convertFile('after.pdf', tinyPdf('still working'), '', limits);
    expect(after.content).toContain('still working');
  });

  test.each([
    ['nested divs', deepHtml(5000)],
    ['self-closed divs (HTML ignores the slash)', '<div/>'.repeat(5000)],
    ['deeper than the text scan can tell (implied tbody)', '<table><tr><td>'.repeat(300)],
  ])('HTML with %s is a 400 naming the depth limit', async (_name, html) => {
    await expect(
      convertFile('deep.html', bytes(html), '', { ...limits, maxHtmlDepth: 1000 }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'HTML may nest elements at most 1000 levels deep (deep.html)',
      details: { file: 'deep.html', limit: 1000 },
    });
  });

  test.each([
    ['unclosed list items', `<ul>${'<li>item'.repeat(3000)}</ul>`],
    ['unclosed paragraphs', '<p>para'.repeat(3000)],
    ['self-closed SVG elements', `<svg>${'<path d="M0 0"/>'.repeat(3000)}</svg><p>after</p>`],
    ['a script full of tags', `<script>${'<div>'.repeat(3000)}</script><p>text</p>`],
    ['nesting just within the limit', deepHtml(900)],
  ])('HTML with %s converts', async (_name, html) => {
    const converted = await convertFile('ok.html', bytes(html), '', { ...limits, maxHtmlDepth: 1000 });
    expect(converted.format).toBe('html');
  });
});
