/**
 * `npm run bench:patterns`: what the linear-time engine costs on the normal path, against the
 * backtracking RegExp it replaced, in the same run. A corpus of FILES generated Markdown files is
 * written to a temporary store; for a few everyday grep patterns it reports the whole grep request
 * (walk, reads, matching; it stops at 10,000 matching lines) with the new code, and the matching alone
 * with the new compiler (RE2, or RegExp for literal alternations) and with a plain RegExp (the old
 * one) over the same lines; for a few globs, matching every path of the corpus with the new and
 * the old compiler. Rounds alternate new and old; figures are medians.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { compileGlob, compileGrepPattern } from '../src/fs/patterns.js';
import { GREP_LIMITS } from '../src/fs/search.js';
import { Vfs } from '../src/fs/vfs.js';
import type { RequestContext } from '../src/policy/index.js';
import { legacyGlob } from './bench/legacy-glob.js';

const FILES = 3000;
const ROUNDS = 15;
const GREPS: readonly [string, boolean][] = [
  ['TODO', false],
  ['error|warning', false],
  ['\\bdeploy\\w*', false],
  ['^## ', false],
  ['\\d{4}-\\d{2}-\\d{2}', false],
  ['release notes', true],
];
const GLOBS = ['**/*.md', 'team-*/notes/*.md', '**/day-1?.md', '*/{notes,plans}/*'];
const WORDS = 'deploy release error warning budget travel notes kernel harbour lantern agent memory'.split(
  ' ',
);

const ctx: RequestContext = {
  role: 'root',
  policy: { isolate_user_scope_by_agent: false, isolate_agent_scope_by_user: false },
  effective: { account_id: 'bench', user_id: 'u', agent_id: 'a' },
};

function fileText(n: number): string {
  const lines = [`# Day ${n}`, ''];
  for (let i = 0; i < 30; i++) {
    const words = Array.from({ length: 12 }, (_, j) => WORDS[(n * 7 + i * 3 + j) % WORDS.length]);
    if (i % 10 === 0) lines.push(`## Part ${i / 10}`);
    lines.push(
      `${words.join(' ')} 2026-12-${String((n % 28) + 1).padStart(2, '0')}${n % 97 === i ? ' TODO' : ''}`,
    );
  }
  return lines.join('\n');
}

const pathOf = (n: number) => `team-${n % 10}/${n % 2 === 0 ? 'notes' : 'plans'}/day-${n}.md`;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** Median ms of `work` over ROUNDS, each engine's rounds interleaved by the caller. */
function timeIt(work: () => void): number {
  const started = performance.now();
  work();
  return performance.now() - started;
}

function compare(label: string, newWork: () => void, oldWork: () => void): { line: string; extraMs: number } {
  const news: number[] = [];
  const olds: number[] = [];
  newWork();
  oldWork(); // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    news.push(timeIt(newWork));
    olds.push(timeIt(oldWork));
  }
  const [n, o] = [median(news), median(olds)];
  const line = `${label.padEnd(34)} new ${n.toFixed(2).padStart(8)} ms  old ${o.toFixed(2).padStart(8)} ms  new/old ${(n / o).toFixed(2)}`;
  return { line, extraMs: n - o };
}

/** The median time of the whole grep request (new code). */
async function wholeGrepMs(vfs: Vfs, pattern: string, insensitive: boolean): Promise<number> {
  const times: number[] = [];
  for (let r = 0; r < 5; r++) {
    const started = performance.now();
    const request = {
      uri: 'viking://resources/corpus',
      pattern,
      caseInsensitive: insensitive,
      nodeLimit: 1e6,
    };
    await vfs.grep(ctx, request);
    times.push(performance.now() - started);
  }
  return median(times);
}

async function grepRows(vfs: Vfs, lines: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const [pattern, insensitive] of GREPS) {
    const whole = await wholeGrepMs(vfs, pattern, insensitive);
    const compiled = compileGrepPattern(pattern, insensitive);
    const native = new RegExp(pattern, insensitive ? 'iu' : 'u');
    // As the request does: up to GREP_LIMITS.matches matching lines.
    const count = (test: (line: string) => boolean) => () => {
      let found = 0;
      for (const line of lines) if (test(line) && ++found >= GREP_LIMITS.matches) break;
    };
    const matching = compare(
      '  matching only',
      count((l) => compiled.test(l)),
      count((l) => native.test(l)),
    );
    const share = ((100 * matching.extraMs) / whole).toFixed(0);
    out.push(`grep ${pattern}${insensitive ? ' (i)' : ''}: whole request (new) ${whole.toFixed(1)} ms`);
    out.push(`${matching.line}  (difference: ${share}% of the request)`);
  }
  return out;
}

function globRows(paths: readonly string[]): string[] {
  return GLOBS.map((pattern) => {
    const compiled = compileGlob(pattern);
    const legacy = legacyGlob(pattern);
    const count = (test: (path: string) => boolean) => () => void paths.filter(test).length;
    return compare(
      `glob ${pattern}`,
      count((p) => compiled.test(p)),
      count((p) => legacy.test(p)),
    ).line;
  });
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'vs-bench-patterns-'));
  const noHook = () => Promise.resolve([]);
  const hooks = {
    fileWritten: noHook,
    removed: noHook,
    moved: noHook,
    messageAdded: noHook,
    accountDeleted: noHook,
  };
  const vfs = new Vfs({ dataDir, hooks, maxFileBytes: 10 * 1024 * 1024 });
  try {
    await vfs.initAccount('bench');
    const texts = Array.from({ length: FILES }, (_, n) => fileText(n));
    for (let n = 0; n < FILES; n++) {
      await vfs.write(ctx, { uri: `viking://resources/corpus/${pathOf(n)}`, content: texts[n] as string });
    }
    const lines = texts.flatMap((t) => t.split('\n'));
    const paths = Array.from({ length: FILES }, (_, n) => pathOf(n));
    const head = `${FILES} files, ${lines.length} lines, ${ROUNDS} rounds (medians)`;
    const out = [head, '', ...(await grepRows(vfs, lines)), '', ...globRows(paths)];
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
