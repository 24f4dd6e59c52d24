import { parseJsonBytes, WORKER_PARSE_BYTES } from './json-parse.js';

const large = (content: string) =>
  Buffer.from(JSON.stringify({ uri: 'viking://resources/a.md', content, wait: true, n: [1, 2.5, null] }));

test('a large body is parsed to the value JSON.parse gives, while the event loop turns', async () => {
  const content = 'The quick brown fox — jumps 🦊 over "the" lazy dog.\n'.repeat(WORKER_PARSE_BYTES / 40);
  const raw = large(content);
  expect(raw.length).toBeGreaterThan(WORKER_PARSE_BYTES);
  const expected: unknown = JSON.parse(raw.toString('utf8'));
  let turned = false;
  setImmediate(() => (turned = true));
  const value = await parseJsonBytes(raw);
  // Parsed in place, the value would be ready before any other callback ran.
  expect(turned).toBe(true);
  expect(value).toEqual(expected);
});

test.each([
  ['small', Buffer.from('{"a": [1, 2')],
  ['large', Buffer.from(`{"content": "${'x'.repeat(WORKER_PARSE_BYTES)}"`)],
])('a %s body that is not JSON is INVALID_ARGUMENT', async (_size, raw) => {
  await expect(parseJsonBytes(raw)).rejects.toMatchObject({
    code: 'INVALID_ARGUMENT',
    message: 'malformed JSON body',
  });
});

test('a small body is parsed in place', async () => {
  await expect(parseJsonBytes(Buffer.from('{"query": "x", "limit": 3}'))).resolves.toEqual({
    query: 'x',
    limit: 3,
  });
});

test('a "__proto__" key of a large body stays an own key, as JSON.parse leaves it', async () => {
  const raw = Buffer.from(
    `{"__proto__": {"polluted": true}, "content": "${'x'.repeat(WORKER_PARSE_BYTES)}"}`,
  );
  const value = (await parseJsonBytes(raw)) as Record<string, unknown>;
  // A plain object's prototype (of the main realm: jest runs this file in a VM context of its own).
  expect(Object.getPrototypeOf(Object.getPrototypeOf(value))).toBeNull();
  expect(Object.keys(value)).toEqual(['__proto__', 'content']);
  expect((value as { polluted?: unknown }).polluted).toBeUndefined();
});
