/**
 * Plots several `npm run bench -- --json FILE` reports (e.g. 100k, 300k, 1M records) as one SVG:
 * p50 latency against records per query class, planned vs baseline.
 *
 *   npm run bench:plot -- [--out docs/bench-latency.svg] report-100k.json report-300k.json report-1m.json
 */
import { readFile, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { EXIT, runScript, UsageError } from './lib/cli.js';
import { latencySvg, type Panel } from './bench/svg.js';

const USAGE = 'usage: npm run bench:plot -- [--out FILE.svg] REPORT.json [REPORT.json ...]';
const DEFAULT_OUT = 'docs/bench-latency.svg';

const latency = z.object({ p50_ms: z.number().nullable() });
const reportSchema = z.object({
  records: z.number().int().positive(),
  node: z.string().optional(),
  cpus: z.number().optional(),
  classes: z.array(z.object({ name: z.string(), planned: latency, baseline: latency })),
});
type Report = z.infer<typeof reportSchema>;

function parseArgs(argv: readonly string[]): { out: string; files: string[] } {
  let out = DEFAULT_OUT;
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--out') {
      const value = argv[++i];
      if (value === undefined) throw new UsageError(`--out needs a file name\n${USAGE}`);
      out = value;
    } else if (arg.startsWith('-')) {
      throw new UsageError(`unknown argument ${arg}\n${USAGE}`);
    } else {
      files.push(arg);
    }
  }
  if (files.length === 0) throw new UsageError(USAGE);
  return { out, files };
}

async function readReport(file: string): Promise<Report> {
  const parsed = reportSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
  if (!parsed.success) throw new UsageError(`${file} is not a bench report: ${parsed.error.message}`);
  return parsed.data;
}

/** One panel per class, in the order of the first report; points sorted by record count. */
function panels(reports: readonly Report[]): Panel[] {
  const names = [...new Set(reports.flatMap((r) => r.classes.map((c) => c.name)))];
  const sorted = [...reports].sort((a, b) => a.records - b.records);
  return names.map((name) => ({
    title: name,
    series: (['planned', 'baseline'] as const).map((label) => ({
      label,
      points: sorted.flatMap((r) => {
        const ms = r.classes.find((c) => c.name === name)?.[label].p50_ms;
        return ms === undefined || ms === null ? [] : [[r.records, ms] as const];
      }),
    })),
  }));
}

runScript('bench-plot', async () => {
  const { out, files } = parseArgs(process.argv.slice(2));
  const reports = await Promise.all(files.map(readReport));
  const records = [...new Set(reports.map((r) => r.records))].sort((a, b) => a - b);
  const first = reports[0];
  const caption = `search bench p50 latency, k = 10 (${first?.node ?? 'node'}, ${first?.cpus ?? '?'} cpus)`;
  await writeFile(out, latencySvg(panels(reports), records, caption));
  process.stdout.write(`wrote ${out} (${reports.length} reports)\n`);
  return EXIT.ok;
});
