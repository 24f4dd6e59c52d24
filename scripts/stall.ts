/**
 * `npm run stall [-- --duration-s 5] [--only grep]`: can one tenant stall the server? Starts the
 * built server, gives two accounts a USER each, then for every attack of scripts/stall/attacks.ts
 * sends it again and again for the duration from the attacker while the victim probes `/health` and
 * a small search on fresh connections, one every 15 ms whether or not the last was answered
 * (scripts/stall/probe.ts). Reports the victim's longest wait, p99 and p50 (and the same with no
 * attack, as the baseline of the same run), the attack's statuses and time, and the server's RSS
 * before, at its peak (sampled every 50 ms) and after; checks the targets of issue 23 (longest ≤
 * 500 ms, p99 ≤ 150 ms, no 5xx, peak RSS within 200 MB of before).
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { startServer, type LoadServer } from './load/server.js';
import { watchRss } from './stall/rss.js';
import { ATTACKS, type Attack, type AttackContext } from './stall/attacks.js';
import { send, type Tenant } from './stall/http.js';
import { PROBE_EVERY_MS, probeUntil, type ProbeStats } from './stall/probe.js';

const TARGET = { longestMs: 500, p99Ms: 150, rssGrowthMb: 200 };

interface Args {
  durationMs: number;
  only: string | null;
  /** Where the server writes a V8 CPU profile at exit (scripts/stall/blocks.ts reads it). */
  cpuProf: string | null;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { durationMs: 5000, only: null, cpuProf: null };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '--duration-s' && value !== undefined) args.durationMs = Number(value) * 1000;
    else if (flag === '--only' && value !== undefined) args.only = value;
    else if (flag === '--cpu-prof' && value !== undefined) args.cpuProf = value;
    else
      throw new Error(
        `usage: npm run stall [-- --duration-s N] [--only NAME-PART] [--cpu-prof DIR] (got ${flag})`,
      );
    i++;
  }
  return args;
}

async function tenant(server: LoadServer, account: string): Promise<Tenant> {
  const root: Tenant = { key: server.rootKey, name: 'root' };
  const created = await send(server.base, root, 'POST', '/api/v1/admin/accounts', {
    account_id: account,
    admin_user_id: 'admin',
  });
  if (created.status !== 200) throw new Error(`account ${account}: ${created.status}`);
  const user = await send(server.base, root, 'POST', `/api/v1/admin/accounts/${account}/users`, {
    user_id: 'u1',
    role: 'user',
  });
  const key = (user.body as { result?: { user_key?: string } }).result?.user_key;
  if (key === undefined) throw new Error(`user of ${account}: ${user.status}`);
  return { key, name: account };
}

interface Row {
  attack: string;
  issue: string;
  runs: number;
  statuses: Record<string, number>;
  attackMsMax: number;
  probe: ProbeStats;
  rssBeforeMb: number;
  rssPeakMb: number;
  rssAfterMb: number;
  pass: boolean;
}

/** Runs the attack back to back for the duration (at least once) while the victim probes. */
async function measure(
  server: LoadServer,
  ctx: AttackContext,
  victim: Tenant,
  attack: Attack,
  durationMs: number,
) {
  await attack.prepare(ctx);
  await sleep(200);
  const rssBeforeMb = await server.rssMb();
  const statuses: Record<string, number> = {};
  let runs = 0;
  let attackMsMax = 0;
  const rss = watchRss(server);
  const attacking = (async () => {
    const until = performance.now() + durationMs;
    do {
      const answer = await attack.run(ctx);
      statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
      attackMsMax = Math.max(attackMsMax, answer.ms);
      runs++;
    } while (performance.now() < until);
  })();
  const probe = await probeUntil(server.base, victim, attacking);
  await attacking;
  const rssPeakMb = await rss.stop();
  const rssAfterMb = await server.rssMb();
  const clean = Object.keys(statuses).every((s) => Number(s) >= 200 && Number(s) < 500);
  const pass =
    clean &&
    probe.failed === 0 &&
    probe.longestMs <= TARGET.longestMs &&
    probe.p99Ms <= TARGET.p99Ms &&
    Math.max(rssPeakMb, rssAfterMb) - rssBeforeMb <= TARGET.rssGrowthMb;
  return { statuses, runs, attackMsMax, probe, rssBeforeMb, rssPeakMb, rssAfterMb, pass };
}

const fmt = (ms: number) => ms.toFixed(1).padStart(8);
const kindLine = (name: string, p: ProbeStats) =>
  `${name}: longest ${p.longestMs.toFixed(1)}, p99 ${p.p99Ms.toFixed(1)}, p50 ${p.p50Ms.toFixed(1)} ms`;

function print(baseline: ProbeStats, rows: readonly Row[]): void {
  const lines = [
    `baseline (no attack): ${baseline.count} probes, longest ${baseline.longestMs.toFixed(1)} ms, ` +
      `p99 ${baseline.p99Ms.toFixed(1)} ms, p50 ${baseline.p50Ms.toFixed(1)} ms ` +
      `(one probe every ${PROBE_EVERY_MS} ms, fresh connections)`,
    '',
    'issue  attack                                        runs  statuses      attack max  ' +
      'longest      p99      p50  probes  RSS MB before→peak→after  targets',
  ];
  for (const r of rows) {
    const statuses = Object.entries(r.statuses)
      .map(([s, n]) => `${s}×${n}`)
      .join(' ');
    lines.push(
      `${r.issue.padEnd(6)} ${r.attack.slice(0, 44).padEnd(44)} ${String(r.runs).padStart(5)}  ` +
        `${statuses.padEnd(12)} ${fmt(r.attackMsMax)}  ${fmt(r.probe.longestMs)} ${fmt(r.probe.p99Ms)} ` +
        `${fmt(r.probe.p50Ms)}  ${String(r.probe.count).padStart(6)}  ` +
        `${r.rssBeforeMb.toFixed(0).padStart(6)} → ${r.rssPeakMb.toFixed(0)} → ` +
        `${r.rssAfterMb.toFixed(0).padEnd(6)}  ` +
        `${r.pass ? 'pass' : 'FAIL'}`,
    );
    const kinds = r.probe.byKind;
    if (kinds !== undefined)
      lines.push(`${' '.repeat(7)}${kindLine('/health', kinds.health)}; ${kindLine('search', kinds.search)}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const attacks = ATTACKS.filter((a) => args.only === null || a.name.includes(args.only));
  // Attacker and victim share the loopback address: the per-client connection cap (issue 23 item 7,
  // 64 by default) would otherwise refuse the victim's own probes queued behind a stall.
  const server = await startServer(
    { MAX_CONNECTIONS_PER_CLIENT: '1000' },
    args.cpuProf === null ? [] : ['--cpu-prof', `--cpu-prof-dir=${args.cpuProf}`],
  );
  try {
    const attacker = await tenant(server, 'stall-attacker');
    const victim = await tenant(server, 'stall-victim');
    const ctx: AttackContext = { base: server.base, attacker };
    const baseline = await probeUntil(server.base, victim, sleep(args.durationMs));
    const rows: Row[] = [];
    for (const attack of attacks) {
      const figures = await measure(server, ctx, victim, attack, args.durationMs);
      rows.push({ attack: attack.name, issue: attack.issue, ...figures });
    }
    print(baseline, rows);
    process.stdout.write(`${JSON.stringify({ baseline, rows })}\n`);
    if (rows.some((r) => !r.pass)) process.exitCode = 1;
  } finally {
    await server.stop(false);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
