/**
 * Why the time slices are short (src/time-slices.ts SLICE_MS): an HTTP server whose event loop runs
 * sliced work accepts one new connection per turn of the loop (libuv 1.46 takes a single
 * connection from the listen queue each time it polls), so fresh connections wait in the kernel's
 * queue whenever turns come slower than connections. For each slice length this runs a busy loop
 * cut into slices (eachInSlices, as the server's long work is) for a few seconds while a client in
 * another process opens a fresh connection every `--every` ms, and prints the waits of those
 * requests (p50, p99, longest) and how many connections each turn accepted. A baseline with the
 * loop idle is measured in the same run.
 *
 *   npx tsc -p scripts/tsconfig.build.json && node dist/scripts/bench-accept.js [--every 15] [--seconds 4]
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { eachInSlices } from '../src/time-slices.js';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} needs a positive number`);
  return value;
}

/** The client: a GET on a fresh connection every `every` ms for `ms`, then each wait in ms on stdout. */
const CLIENT = `
const http = require('node:http');
const [port, every, ms] = process.argv.slice(1).map(Number);
const waits = [];
const start = performance.now();
let sent = 0, done = 0;
const tick = () => {
  const t0 = performance.now();
  sent += 1;
  http.get({ host: '127.0.0.1', port, agent: false }, (res) => {
    res.resume();
    res.on('end', () => { waits.push(performance.now() - t0); if (++done === sent && stopped) out(); });
  }).on('error', () => { waits.push(Infinity); if (++done === sent && stopped) out(); });
  const next = start + sent * every;
  if (next - start < ms) setTimeout(tick, Math.max(0, next - performance.now()));
  else stopped = true;
};
let stopped = false;
const out = () => process.stdout.write(JSON.stringify(waits));
tick();
`;

function runClient(port: number, every: number, ms: number): Promise<number[]> {
  const child = spawn(process.execPath, ['-e', CLIENT, String(port), String(every), String(ms)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let text = '';
  child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return new Promise((resolve) => child.once('close', () => resolve(JSON.parse(text) as number[])));
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

/** Busy steps of ~0.2 ms, in slices of `sliceMs`, until `busy` says stop; counts accepts per turn. */
async function busyLoop(sliceMs: number, busy: () => boolean, accepted: () => number): Promise<number[]> {
  const perTurn: number[] = [];
  let seen = accepted();
  function* steps(): Generator<number> {
    for (let i = 0; busy(); i++) yield i;
  }
  await eachInSlices(
    steps(),
    () => {
      const until = performance.now() + 0.2;
      while (performance.now() < until);
    },
    {
      sliceMs,
      pause: async () => {
        await new Promise((resolve) => setImmediate(resolve));
        perTurn.push(accepted() - seen);
        seen = accepted();
      },
    },
  );
  return perTurn;
}

async function main(): Promise<void> {
  const every = option('--every', 15);
  const ms = option('--seconds', 4) * 1000;
  let connections = 0;
  const server = createServer((_req, res) => res.end('ok'));
  server.on('connection', () => (connections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const rows: string[] = [];
  for (const sliceMs of [0, 1, 3, 10, 20]) {
    let running = true;
    const client = runClient(port, every, ms);
    const loop =
      sliceMs === 0
        ? Promise.resolve([])
        : busyLoop(
            sliceMs,
            () => running,
            () => connections,
          );
    const waits = (await client).sort((a, b) => a - b);
    running = false;
    const perTurn = await loop;
    const turns = perTurn.length;
    const most = perTurn.reduce((a, b) => Math.max(a, b), 0);
    rows.push(
      `${sliceMs === 0 ? 'idle loop (baseline)' : `slices of ${sliceMs} ms`}`.padEnd(22) +
        `${waits.length} requests: p50 ${percentile(waits, 50).toFixed(1)} ms, p99 ${percentile(waits, 99).toFixed(1)} ms, ` +
        `longest ${(waits[waits.length - 1] ?? NaN).toFixed(1)} ms` +
        (turns > 0 ? `; ${turns} turns, at most ${most} connection(s) accepted in one` : ''),
    );
  }
  server.close();
  process.stdout.write(`fresh connection every ${every} ms for ${ms / 1000} s\n${rows.join('\n')}\n`);
}

await main();
