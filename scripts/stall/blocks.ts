/**
 * `node dist/scripts/stall/blocks.js FILE.cpuprofile [--min-ms 40]`: where the server's main thread
 * blocked. Reads a V8 CPU profile (the server run with `--cpu-prof`, as `npm run stall -- --cpu-prof
 * DIR` does), finds every stretch of consecutive busy samples (anything but idle) of at least
 * `--min-ms`, and prints each stretch with the functions that took most of it (self time) and the
 * server's own functions it ran under (callees included: the phases), then the totals over all
 * stretches. Wall-clock figures: on a loaded machine they include the time the process waited for a
 * core, so compare only stretches of the same profile.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
  readonly children?: readonly number[];
}

interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

interface Block {
  readonly startMs: number;
  ms: number;
  /** Time spent in each function itself. */
  readonly self: Map<string, number>;
  /** Time under each of the server's own functions (dist/src), callees included. */
  readonly under: Map<string, number>;
}

function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url.replace(/^.*\/(dist|node_modules)\//, '$1/').replace(/^file:\/\//, '');
  return `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`;
}

/** The server's own functions on a sample's stack, each once. */
function ownStack(node: ProfileNode, parents: ReadonlyMap<number, ProfileNode>): Set<string> {
  const names = new Set<string>();
  for (let n: ProfileNode | undefined = node; n !== undefined; n = parents.get(n.id)) {
    if (n.callFrame.url.includes('/dist/src/')) names.add(label(n));
  }
  return names;
}

const add = (map: Map<string, number>, key: string, ms: number) => map.set(key, (map.get(key) ?? 0) + ms);

/** Stretches of busy samples at least `minMs` long. */
export function blocksOf(profile: Profile, minMs: number): Block[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parents = new Map<number, ProfileNode>();
  for (const n of profile.nodes) for (const child of n.children ?? []) parents.set(child, n);
  const blocks: Block[] = [];
  let current: Block | null = null;
  let at = 0;
  profile.samples.forEach((id, i) => {
    const delta = (profile.timeDeltas[i] ?? 0) / 1000;
    at += delta;
    const node = byId.get(id);
    if (node === undefined || node.callFrame.functionName === '(idle)') {
      if (current !== null && current.ms >= minMs) blocks.push(current);
      current = null;
      return;
    }
    current ??= { startMs: at, ms: 0, self: new Map(), under: new Map() };
    current.ms += delta;
    add(current.self, label(node), delta);
    for (const own of ownStack(node, parents)) add(current.under, own, delta);
  });
  const last = current as Block | null;
  if (last !== null && last.ms >= minMs) blocks.push(last);
  return blocks;
}

function top(map: ReadonlyMap<string, number>, n: number): string[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, ms]) => `${ms.toFixed(0).padStart(6)} ms  ${name}`);
}

function main(): void {
  const [file, flag, value] = process.argv.slice(2);
  if (file === undefined) throw new Error('usage: blocks.js FILE.cpuprofile [--min-ms 40]');
  const minMs = flag === '--min-ms' && value !== undefined ? Number(value) : 40;
  const blocks = blocksOf(JSON.parse(readFileSync(file, 'utf8')) as Profile, minMs);
  const self = new Map<string, number>();
  const under = new Map<string, number>();
  const lines: string[] = [];
  for (const b of blocks) {
    lines.push(
      `block at ${(b.startMs / 1000).toFixed(2)} s: ${b.ms.toFixed(0)} ms`,
      ...top(b.self, 4).map((l) => `  self  ${l}`),
      ...top(b.under, 4).map((l) => `  under ${l}`),
    );
    for (const [name, ms] of b.self) add(self, name, ms);
    for (const [name, ms] of b.under) add(under, name, ms);
  }
  const sum = blocks.reduce((s, b) => s + b.ms, 0);
  lines.push('', `${blocks.length} blocks of ≥ ${minMs} ms, ${sum.toFixed(0)} ms in all; self time in them:`);
  lines.push(...top(self, 20).map((l) => `  ${l}`));
  lines.push('', "time under the server's own functions (callees included) in them:");
  lines.push(...top(under, 30).map((l) => `  ${l}`));
  process.stdout.write(`${lines.join('\n')}\n`);
}

main();
