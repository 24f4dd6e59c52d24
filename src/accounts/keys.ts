/**
 * API key primitives (SPEC 5): user keys are 64 lowercase hex characters from a CSPRNG, stored only
 * as a SHA-256 hash plus a short lookup prefix; every comparison runs in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Length of the non-secret lookup prefix kept next to the hash (32 of the key's 256 bits). */
export const KEY_PREFIX_LENGTH = 8;

export interface StoredKey {
  readonly key_prefix: string;
  readonly key_hash: string;
}

export function generateKey(): string {
  return randomBytes(32).toString('hex');
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** What is persisted for `key`: never the key itself. */
export function storedKeyOf(key: string): StoredKey {
  return { key_prefix: key.slice(0, KEY_PREFIX_LENGTH), key_hash: sha256(key).toString('hex') };
}

export function keyPrefixOf(key: string): string {
  return key.slice(0, KEY_PREFIX_LENGTH);
}

/** Whether `key` hashes to `stored` (constant time in the hash). */
export function keyMatches(key: string, stored: StoredKey): boolean {
  const expected = Buffer.from(stored.key_hash, 'hex');
  const actual = sha256(key);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** Constant-time string equality (hashing first makes the lengths equal). */
export function secretEquals(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}
