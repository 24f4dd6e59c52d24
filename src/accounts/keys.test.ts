import { generateKey, keyMatches, secretEquals, storedKeyOf } from './keys.js';

describe('API keys', () => {
  test('64 lowercase hex characters, different every time', () => {
    const keys = new Set(Array.from({ length: 50 }, generateKey));
    expect(keys.size).toBe(50);
    for (const key of keys) expect(key).toMatch(/^[0-9a-f]{64}$/);
  });

  test('stored form holds a short prefix and a hash, never the key', () => {
    const key = generateKey();
    const stored = storedKeyOf(key);
    expect(stored.key_prefix).toBe(key.slice(0, 8));
    expect(stored.key_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(stored)).not.toContain(key);
  });

  test('only the right key matches', () => {
    const key = generateKey();
    const stored = storedKeyOf(key);
    expect(keyMatches(key, stored)).toBe(true);
    expect(
      keyMatches(`${key.slice(0, 63)}0` === key ? `${key.slice(0, 63)}1` : `${key.slice(0, 63)}0`, stored),
    ).toBe(false);
    expect(keyMatches('', stored)).toBe(false);
  });

  test('secretEquals compares strings of any length', () => {
    expect(secretEquals('abc', 'abc')).toBe(true);
    expect(secretEquals('abc', 'abcd')).toBe(false);
    expect(secretEquals('', 'x')).toBe(false);
  });
});
