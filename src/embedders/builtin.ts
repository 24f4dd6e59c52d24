/**
 * The built-in embedder: signed feature hashing of words and character 3-grams into 384 dimensions.
 *
 * It is lexical, not semantic: texts are close when they share words or word fragments ("index",
 * "indexing", "reindexed"), never because they mean the same thing. Its virtues are that it needs
 * no model, no network and no native code, is deterministic across machines and Node versions
 * (the hash works on UTF-16 code units with 32-bit integer arithmetic), and embeds tens of
 * thousands of short texts per second.
 */
import type { Embedder } from './embedder.js';
import { l2NormalizeInPlace } from './vector.js';

export const BUILTIN_DIMENSION = 384;
/** Bump the version whenever tokenisation, hashing or weights change: stored vectors become stale. */
export const BUILTIN_ID = `builtin:hash-v1-${BUILTIN_DIMENSION}`;

// Whole words carry more evidence than any single fragment of them.
const WORD_WEIGHT = 1;
const NGRAM_WEIGHT = 0.5;
const NGRAM = 3;
// Distinct FNV offsets keep the word "abc" and the 3-gram "abc" from landing on the same feature.
const WORD_SEED = 0x811c9dc5;
const NGRAM_SEED = 0x01000193 ^ 0x5bd1e995;
const EMPTY_SEED = 0x9747b28c;
const BOUNDARY = 0x23; // '#', pads words so prefixes and suffixes become their own 3-grams
const TOKEN = /[\p{L}\p{N}]+/gu;

/** FNV-1a step over one UTF-16 code unit. */
function fnvStep(h: number, code: number): number {
  return Math.imul(h ^ code, 0x01000193);
}

/** Murmur3's finaliser: spreads FNV's weak low bits over the whole word before we take a modulus. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Adds `weight` to the signed bucket of hash `h` (sign from the top bit, bucket from the rest). */
function addFeature(v: Float32Array, h: number, weight: number): void {
  const m = mix(h);
  const bucket = (m & 0x7fffffff) % v.length;
  v[bucket] = (v[bucket] ?? 0) + (m >>> 31 === 1 ? -weight : weight);
}

function addWord(v: Float32Array, word: string): void {
  let h = WORD_SEED;
  for (let i = 0; i < word.length; i++) h = fnvStep(h, word.charCodeAt(i));
  addFeature(v, h, WORD_WEIGHT);
  // 3-grams of "#word#", hashed straight from char codes to avoid allocating substrings.
  const padded = word.length + 2;
  for (let start = 0; start + NGRAM <= padded; start++) {
    let g = NGRAM_SEED;
    for (let k = start; k < start + NGRAM; k++) {
      g = fnvStep(g, k === 0 || k === padded - 1 ? BOUNDARY : word.charCodeAt(k - 1));
    }
    addFeature(v, g, NGRAM_WEIGHT);
  }
}

/**
 * Embeds one text. A text without any letter or digit (empty, whitespace, punctuation) gets one fixed
 * unit vector — a single reserved feature — so every vector stays finite and unit length; all such
 * texts are identical to each other and about as similar to real text as a random single word.
 */
export function embedBuiltin(text: string): Float32Array {
  const v = new Float32Array(BUILTIN_DIMENSION);
  for (const match of text.toLowerCase().matchAll(TOKEN)) addWord(v, match[0]);
  if (!l2NormalizeInPlace(v)) addFeature(v, EMPTY_SEED, 1);
  return v;
}

/** Creates the built-in embedder (synchronous: there is nothing to load). */
export function createBuiltinEmbedder(): Embedder {
  return {
    id: BUILTIN_ID,
    dimension: BUILTIN_DIMENSION,
    embed: (texts) => Promise.resolve(texts.map(embedBuiltin)),
  };
}
