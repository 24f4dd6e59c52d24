/**
 * Throughput of the built-in embedder on short texts (target: well over 5,000 texts per second).
 *
 *   npx tsc -p scripts/tsconfig.build.json && node dist/scripts/bench-embedder.js [count]
 *   # or, without building: node --import ./test/helpers/ts-register.mjs scripts/bench-embedder.ts [count]
 */
import { createBuiltinEmbedder } from '../src/embedders/builtin.js';

const WORDS = (
  'agent user memory session vector search index namespace policy resource skill instruction ' +
  'preference entity event case pattern archive message overview abstract folder file read write'
).split(' ');

/** Deterministic short texts of 8–20 words, like memory notes and chat messages. */
function sampleTexts(count: number): string[] {
  const texts: string[] = [];
  let seed = 42;
  const next = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
  for (let i = 0; i < count; i++) {
    const length = 8 + (next() % 13);
    const words = Array.from({ length }, () => WORDS[next() % WORDS.length] ?? '');
    texts.push(`${words.join(' ')} #${i}`);
  }
  return texts;
}

const count = Number(process.argv[2] ?? 20_000);
const texts = sampleTexts(count);
const embedder = createBuiltinEmbedder();
await embedder.embed(texts.slice(0, 1000)); // warm up the JIT
const start = process.hrtime.bigint();
const vectors = await embedder.embed(texts);
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
const perSecond = Math.round(vectors.length / seconds);
process.stdout.write(
  `${embedder.id}: ${vectors.length} texts in ${seconds.toFixed(3)} s = ${perSecond} texts/s\n`,
);
