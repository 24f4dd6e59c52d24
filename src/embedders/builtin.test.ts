import { BUILTIN_DIMENSION, BUILTIN_ID, createBuiltinEmbedder, embedBuiltin } from './builtin.js';
import { dot, l2Norm } from './vector.js';

const embedder = createBuiltinEmbedder();
const PINNED_NON_ZERO = 29;
const PINNED_FINGERPRINT = -5.67775;

describe('builtin embedder', () => {
  test('identity and dimension', () => {
    expect(embedder.id).toBe('builtin:hash-v1-384');
    expect(BUILTIN_ID).toBe(embedder.id);
    expect(embedder.dimension).toBe(384);
  });

  test.each([
    ['words', 'hello world'],
    ['one letter', 'A'],
    ['non-ASCII', 'Grüße aus Köln — 東京 2024'],
    ['10,000 characters', 'x'.repeat(10_000)],
    ['empty', ''],
    ['whitespace', '   '],
    ['punctuation', '?!.,'],
  ])('unit length, finite, 384 dims: %s', (_label, text) => {
    const v = embedBuiltin(text);
    expect(v).toHaveLength(BUILTIN_DIMENSION);
    expect(v.every(Number.isFinite)).toBe(true);
    expect(l2Norm(v)).toBeCloseTo(1, 5);
  });

  test('deterministic: same text, same vector; case and punctuation do not matter', () => {
    expect(Array.from(embedBuiltin('The quick brown fox'))).toEqual(
      Array.from(embedBuiltin('The quick brown fox')),
    );
    expect(Array.from(embedBuiltin('The Quick, brown FOX!'))).toEqual(
      Array.from(embedBuiltin('the quick brown fox')),
    );
  });

  test('stable across releases: a pinned vector fingerprint', () => {
    // Changing tokenisation or hashing must bump BUILTIN_ID, because stored vectors would go stale.
    const v = embedBuiltin('vector search over namespaces');
    const fingerprint = Array.from(v).reduce((sum, x, i) => sum + x * (i + 1), 0);
    expect(Array.from(v).filter((x) => x !== 0)).toHaveLength(PINNED_NON_ZERO);
    expect(fingerprint).toBeCloseTo(PINNED_FINGERPRINT, 3);
  });

  test('empty and symbol-only texts share one fixed unit vector', () => {
    const empty = embedBuiltin('');
    expect(Array.from(embedBuiltin('  ...  '))).toEqual(Array.from(empty));
    expect(empty.filter((x) => x !== 0)).toHaveLength(1);
  });

  test('different texts give different vectors', () => {
    expect(dot(embedBuiltin('cats purr'), embedBuiltin('dogs bark'))).toBeLessThan(0.5);
  });

  test.each([
    ['indexing the vector store', 'index the vector stores', 'a recipe for banana bread'],
    ['user memories and preferences', 'preferences of the user memory', 'quarterly tax filing deadline'],
    ['session messages are archived', 'archiving session message history', 'mountain hiking trail map'],
  ])('lexically similar texts are closer than unrelated ones: %s', (anchor, similar, unrelated) => {
    const a = embedBuiltin(anchor);
    expect(dot(a, embedBuiltin(similar))).toBeGreaterThan(dot(a, embedBuiltin(unrelated)) + 0.2);
  });

  test('a batch equals embedding each text alone, in order', async () => {
    const texts = ['alpha beta', '', 'gamma delta epsilon', 'alpha beta'];
    const batch = await embedder.embed(texts);
    expect(batch).toHaveLength(texts.length);
    texts.forEach((t, i) => expect(Array.from(batch[i] ?? [])).toEqual(Array.from(embedBuiltin(t))));
    expect(await embedder.embed([])).toEqual([]);
  });
});
