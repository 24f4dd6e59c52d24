import { assertJsonBounds, MAX_JSON_DEPTH, MAX_JSON_KEYS, MAX_JSON_VALUES } from './json-bounds.js';

const bytes = (text: string) => Buffer.from(text);
const object = (keys: number) => `{${Array.from({ length: keys }, (_, i) => `"k${i}":0`).join(',')}}`;
const array = (values: number) => `[${new Array<string>(values).fill('0').join(',')}]`;
const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

test.each([
  ['the keys allowed', object(MAX_JSON_KEYS)],
  ['the values allowed', array(MAX_JSON_VALUES)],
  ['the nesting allowed', nested(MAX_JSON_DEPTH)],
  ['structure inside strings', JSON.stringify({ text: '{"a":1,"b":[2,3]}'.repeat(50_000) })],
  ['escaped quotes inside strings', JSON.stringify({ text: '\\":,{['.repeat(50_000) })],
  ['multi-byte text', JSON.stringify({ text: '认证：相关，内容'.repeat(10_000) })],
])('passes %s', (_name, text) => {
  expect(() => assertJsonBounds(bytes(text))).not.toThrow();
});

test.each([
  ['one key too many', object(MAX_JSON_KEYS + 1), 'object keys'],
  ['too many values', array(MAX_JSON_VALUES + 2), 'values'],
  ['one level too deep', nested(MAX_JSON_DEPTH + 1), 'levels of nesting'],
])('refuses %s (400 naming the bound)', (_name, text, what) => {
  expect(() => assertJsonBounds(bytes(text))).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  expect(() => assertJsonBounds(bytes(text))).toThrow(what);
});
