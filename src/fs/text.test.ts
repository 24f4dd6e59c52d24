import { isIndexableText, sliceLines } from './text.js';

test.each([
  ['a\nb\nc\n', 0, undefined, 'a\nb\nc\n'],
  ['a\nb\nc\n', 1, 1, 'b\n'],
  ['a\nb\nc', 1, -1, 'b\nc'],
  ['a\nb\nc', 5, 2, ''],
  ['a\nb\nc', 0, 0, ''],
])('sliceLines(%j, %d, %s) = %j', (text, offset, limit, expected) => {
  expect(sliceLines(text, offset, limit)).toBe(expected);
});

test.each([
  [Buffer.from('plain text'), true],
  [Buffer.from('unicode ✓ ü'), true],
  [Buffer.from([0x61, 0x00]), false],
  [Buffer.from([0xff, 0xfe, 0x41]), false],
])('isIndexableText(%j) = %s', (buffer, expected) => {
  expect(isIndexableText(buffer)).toBe(expected);
});
