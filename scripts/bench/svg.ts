/**
 * The latency plot of `npm run bench:plot`: one panel per query class, p50 latency against the number
 * of records (log scale), planned path solid and baseline dashed. Plain SVG text, no dependency.
 */

export interface Series {
  readonly label: 'planned' | 'baseline';
  /** [records, p50 ms], ascending by records. */
  readonly points: ReadonlyArray<readonly [number, number]>;
}

export interface Panel {
  readonly title: string;
  readonly series: readonly Series[];
}

const W = 300;
const H = 220;
const PAD = { left: 52, right: 12, top: 28, bottom: 38 };
const COLUMNS = 3;
const STYLE: Record<Series['label'], string> = {
  planned: 'stroke="#1f6feb" fill="none" stroke-width="2"',
  baseline: 'stroke="#d1242f" fill="none" stroke-width="2" stroke-dasharray="6 4"',
};

const esc = (s: string) => s.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
const num = (v: number) => (v >= 1_000_000 ? `${v / 1_000_000}M` : v >= 1000 ? `${v / 1000}k` : String(v));

/** A "nice" upper bound for a linear axis. */
function niceMax(v: number): number {
  const step = 10 ** Math.floor(Math.log10(Math.max(v, 1e-9)));
  return [1, 2, 5, 10].map((m) => m * step).find((m) => m >= v) ?? 10 * step;
}

function panel(p: Panel, x0: number, y0: number, records: readonly number[]): string {
  const lo = Math.log10(Math.min(...records));
  const hi = Math.log10(Math.max(...records));
  const span = hi - lo || 1;
  const yMax = niceMax(Math.max(...p.series.flatMap((s) => s.points.map(([, ms]) => ms))));
  const pw = W - PAD.left - PAD.right;
  const ph = H - PAD.top - PAD.bottom;
  const x = (r: number) =>
    x0 + PAD.left + (records.length === 1 ? pw / 2 : ((Math.log10(r) - lo) / span) * pw);
  const y = (ms: number) => y0 + PAD.top + ph - (ms / yMax) * ph;
  const out: string[] = [
    `<text x="${x0 + W / 2}" y="${y0 + 18}" text-anchor="middle" font-weight="bold">${esc(p.title)}</text>`,
    `<rect x="${x0 + PAD.left}" y="${y0 + PAD.top}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`,
  ];
  for (const t of [0, 0.5, 1]) {
    out.push(
      `<text x="${x0 + PAD.left - 6}" y="${y(t * yMax) + 4}" text-anchor="end">${num(t * yMax)}</text>`,
      `<line x1="${x0 + PAD.left}" x2="${x0 + PAD.left + pw}" y1="${y(t * yMax)}" y2="${y(t * yMax)}" stroke="#eee"/>`,
    );
  }
  for (const r of records) {
    out.push(
      `<text x="${x(r).toFixed(1)}" y="${y0 + PAD.top + ph + 16}" text-anchor="middle">${num(r)}</text>`,
    );
  }
  out.push(`<text x="${x0 + PAD.left + pw / 2}" y="${y0 + H - 4}" text-anchor="middle">records (log)</text>`);
  out.push(
    `<text transform="translate(${x0 + 12} ${y0 + PAD.top + ph / 2}) rotate(-90)" text-anchor="middle">p50 ms</text>`,
  );
  for (const s of p.series) {
    const path = s.points.map(([r, ms]) => `${x(r).toFixed(1)},${y(ms).toFixed(1)}`).join(' ');
    out.push(`<polyline points="${path}" ${STYLE[s.label]}/>`);
    for (const [r, ms] of s.points) {
      out.push(
        `<circle cx="${x(r).toFixed(1)}" cy="${y(ms).toFixed(1)}" r="3" fill="${s.label === 'planned' ? '#1f6feb' : '#d1242f'}"/>`,
      );
    }
  }
  return out.join('\n');
}

/** The whole figure: panels in a grid plus a legend. */
export function latencySvg(panels: readonly Panel[], records: readonly number[], caption: string): string {
  const rows = Math.ceil((panels.length + 1) / COLUMNS);
  const width = COLUMNS * W;
  const height = rows * H + 24;
  const body = panels.map((p, i) => panel(p, (i % COLUMNS) * W, Math.floor(i / COLUMNS) * H, records));
  const lx = (panels.length % COLUMNS) * W + 40;
  const ly = Math.floor(panels.length / COLUMNS) * H + 60;
  const legend = [
    `<line x1="${lx}" x2="${lx + 40}" y1="${ly}" y2="${ly}" ${STYLE.planned}/>`,
    `<text x="${lx + 48}" y="${ly + 4}">planned (default path)</text>`,
    `<line x1="${lx}" x2="${lx + 40}" y1="${ly + 24}" y2="${ly + 24}" ${STYLE.baseline}/>`,
    `<text x="${lx + 48}" y="${ly + 28}">baseline (previous release)</text>`,
  ];
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    ...body,
    ...legend,
    `<text x="8" y="${height - 8}" fill="#555">${esc(caption)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}
