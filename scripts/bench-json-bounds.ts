/**
 * What the JSON shape bounds (src/http/json-bounds.ts) cost on the normal path: for typical request
 * bodies, `JSON.parse` alone against the byte scan followed by `JSON.parse`, alternated in one run
 * (the baseline is measured in the same run). Prints the median of each and their ratio.
 *
 *   tsc -p scripts/tsconfig.build.json && node dist/scripts/bench-json-bounds.js
 */
import { performance } from 'node:perf_hooks';
import { assertJsonBounds } from '../src/http/json-bounds.js';

const text = (bytes: number): string =>
  'The quick brown fox: jumps, over {the} lazy dog. '.repeat(bytes / 50);

const BODIES: Readonly<Record<string, unknown>> = {
  'search (120 B)': { query: 'how do we deploy', limit: 10, target_uri: 'viking://resources/docs' },
  'write 10 KB': { uri: 'viking://resources/a.md', content: text(10_000), wait: true },
  'write 1 MB': { uri: 'viking://resources/a.md', content: text(1_000_000) },
  'write 10 MB': { uri: 'viking://resources/a.md', content: text(10_000_000) },
  'batch 100 messages': {
    messages: Array.from({ length: 100 }, (_, i) => ({ role: 'user', content: text(500), peer_id: `p${i}` })),
  },
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

function time(work: () => void): number {
  const start = performance.now();
  work();
  return performance.now() - start;
}

for (const [name, body] of Object.entries(BODIES)) {
  const raw = Buffer.from(JSON.stringify(body));
  const rounds = raw.length > 1_000_000 ? 15 : 2_000;
  const plain: number[] = [];
  const bounded: number[] = [];
  for (let i = 0; i < rounds; i++) {
    plain.push(
      time(() => {
        JSON.parse(raw.toString('utf8'));
      }),
    );
    bounded.push(
      time(() => {
        assertJsonBounds(raw);
        JSON.parse(raw.toString('utf8'));
      }),
    );
  }
  const [p, b] = [median(plain), median(bounded)];
  process.stdout.write(
    `${name.padEnd(20)} parse ${p.toFixed(4)} ms  scan+parse ${b.toFixed(4)} ms  ratio ${(b / p).toFixed(2)}\n`,
  );
}
