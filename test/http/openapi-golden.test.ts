/**
 * The OpenAPI document of the full app is pinned in openapi.golden.json: any change to a route, a
 * schema or an example changes the document, and this test fails naming the operations (or other
 * parts) that changed until the golden file is regenerated and reviewed with the change:
 *
 *   npm run openapi:golden        (the same as UPDATE_GOLDEN=1 on this test file)
 *
 * Routes added in parallel branches are folded in by running it once after the merge.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import request from 'supertest';
import { fullApp } from '../helpers/full-app.js';

const GOLDEN_FILE = new URL('./openapi.golden.json', import.meta.url);
const REGENERATE = 'npm run openapi:golden';

type Json = Record<string, unknown>;

/** The parts of `after` that differ from `before`: `METHOD /path` per operation, else the top-level key. */
function changedParts(before: Json, after: Json): string[] {
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
  const out: string[] = [];
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (key !== 'paths') {
      if (!same(before[key], after[key])) out.push(key);
      continue;
    }
    const was = (before.paths ?? {}) as Record<string, Json>;
    const is = (after.paths ?? {}) as Record<string, Json>;
    for (const path of new Set([...Object.keys(was), ...Object.keys(is)])) {
      for (const method of new Set([...Object.keys(was[path] ?? {}), ...Object.keys(is[path] ?? {})])) {
        const a = was[path]?.[method];
        const b = is[path]?.[method];
        const name = `${method.toUpperCase()} ${path}`;
        if (a === undefined) out.push(`${name} (added)`);
        else if (b === undefined) out.push(`${name} (removed)`);
        else if (!same(a, b)) out.push(`${name} (changed)`);
      }
    }
  }
  return out;
}

/** The document as the golden file holds it: 2-space JSON and a final newline. */
function text(document: unknown): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

test(`the document equals test/http/openapi.golden.json (regenerate: ${REGENERATE})`, async () => {
  const env = await fullApp();
  let document: Json;
  try {
    document = (await request(env.app).get('/openapi.json').expect(200)).body as Json;
  } finally {
    await env.close();
  }
  if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(GOLDEN_FILE, text(document));
  const golden = JSON.parse(readFileSync(GOLDEN_FILE, 'utf8')) as Json;
  const changed = changedParts(golden, document);
  expect({ changed, regenerate: changed.length === 0 ? null : REGENERATE }).toEqual({
    changed: [],
    regenerate: null,
  });
  // Also the bytes (key order, formatting): what a review of the regenerated file shows.
  expect(text(document)).toBe(readFileSync(GOLDEN_FILE, 'utf8'));
});

describe('the comparison names what changed', () => {
  const op = (summary: string) => ({ summary, responses: {} });
  const doc = {
    openapi: '3.1.0',
    info: { version: '1' },
    paths: { '/a': { get: op('a'), post: op('b') }, '/b': { get: op('c') } },
  };

  test('an identical document has no changes', () => {
    expect(changedParts(doc, structuredClone(doc))).toEqual([]);
  });

  test('added, removed and changed operations and other parts are each named', () => {
    const after = {
      ...doc,
      info: { version: '2' },
      paths: { '/a': { get: op('a, typed') }, '/b': { get: op('c') }, '/c': { put: op('d') } },
    };
    expect(changedParts(doc, after)).toEqual([
      'info',
      'GET /a (changed)',
      'POST /a (removed)',
      'PUT /c (added)',
    ]);
  });
});
