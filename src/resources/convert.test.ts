import { tinyPdf } from '../../test/helpers/pdf.js';
import { convertFile } from './convert.js';

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
