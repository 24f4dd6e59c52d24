/**
 * What parsing in a worker costs, and what it saves. Normal path: a small zip, PDF and HTML
 * converted the old way (fflate / pdf-parse / turndown on the calling thread, as before issue 23)
 * and through the parse workers (readZip, convertFile), alternated in one run; medians and ratio.
 * Attacks (issue 23 items 3, 4, 9): the same two ways, with the longest event-loop stall measured
 * while each runs (what every other request would wait).
 *
 *   npm run bench:parse -- [iterations] [--no-attacks]
 *   # or, without building: node --import ./test/helpers/ts-register.mjs scripts/bench-parse.ts
 */
import { strToU8, unzipSync, zipSync } from 'fflate';
import { PDFParse } from 'pdf-parse';
import TurndownService from 'turndown';
import { convertFile } from '../src/resources/convert.js';
import { DEFAULT_DOCUMENT_LIMITS } from '../src/resources/parse-jobs.js';
import { readZip } from '../src/resources/zip.js';
import { deepHtml, overlappingZip } from '../test/helpers/hostile-files.js';
import { sharedContentPdf, textLines, tinyPdf } from '../test/helpers/pdf.js';

const MIB = 1024 * 1024;
const ZIP_LIMITS = { maxEntries: 10_000, maxEntryBytes: 10 * MIB, maxTotalBytes: 256 * MIB };

const turndown = new TurndownService({
  headingStyle: 'atx',
  codeBlockStyle: 'fenced',
  bulletListMarker: '-',
});
turndown.remove(['script', 'style', 'noscript', 'template', 'head', 'title', 'iframe', 'object', 'embed']);

/** The pre-issue-23 conversions, on the calling thread. */
const inThread = {
  zip: (bytes: Uint8Array) => Object.keys(unzipSync(bytes)).length,
  pdf: async (bytes: Uint8Array) => {
    const parser = new PDFParse({ data: Uint8Array.from(bytes) });
    try {
      return (await parser.getText({ pageJoiner: '' })).text.length;
    } finally {
      await parser.destroy();
    }
  },
  html: (text: string) => turndown.turndown(text).length,
};

const inWorker = {
  zip: async (bytes: Uint8Array) => (await readZip(bytes, ZIP_LIMITS)).length,
  pdf: async (bytes: Uint8Array) => (await convertFile('a.pdf', bytes)).content.length,
  html: async (text: string) => (await convertFile('a.html', Buffer.from(text))).content.length,
};

function normalInputs() {
  const article = `<html><body><h1>Guide</h1>${'<p>Some <b>text</b> with <a href="/x">a link</a>.</p><ul><li>one</li><li>two</li></ul>'.repeat(60)}</body></html>`;
  const files = Object.fromEntries(
    Array.from({ length: 10 }, (_, i) => [
      `kb/doc${i}.md`,
      strToU8(`# Doc ${i}\n\n${'Some text. '.repeat(200)}`),
    ]),
  );
  return { zip: zipSync(files), pdf: tinyPdf('A normal small PDF of one page'), html: article };
}

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * q)] ?? NaN;

async function time(run: () => unknown): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

async function normalPath(iterations: number): Promise<void> {
  const inputs = normalInputs();
  console.log(`normal path: ${iterations} alternated runs each (ms: median, and 10th percentile)`);
  for (const kind of ['zip', 'pdf', 'html'] as const) {
    const input = inputs[kind] as Uint8Array & string;
    const old: number[] = [];
    const now: number[] = [];
    await inThread[kind](input);
    await inWorker[kind](input);
    for (let i = 0; i < iterations; i++) {
      old.push(await time(() => inThread[kind](input)));
      now.push(await time(() => inWorker[kind](input)));
    }
    const [a, b] = [quantile(old, 0.5), quantile(now, 0.5)];
    const [a10, b10] = [quantile(old, 0.1), quantile(now, 0.1)];
    console.log(
      `  ${kind.padEnd(5)} in-thread ${a.toFixed(2)} (${a10.toFixed(2)})  worker ${b.toFixed(2)} (${b10.toFixed(2)})` +
        `  ratio ${(b / a).toFixed(2)} (${(b10 / a10).toFixed(2)})`,
    );
  }
}

/** The longest the event loop waited while `run` ran, and how `run` ended. */
async function stall(run: () => unknown): Promise<string> {
  let longest = 0;
  let last = performance.now();
  const ticker = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last - 5);
    last = now;
  }, 5);
  const started = performance.now();
  let outcome: string;
  try {
    await run();
    outcome = 'completed';
  } catch (error) {
    outcome = error instanceof Error ? `${error.name}: ${error.message}`.slice(0, 90) : String(error);
  }
  const wall = performance.now() - started;
  await new Promise((resolve) => setTimeout(resolve, 20));
  clearInterval(ticker);
  return `wall ${(wall / 1000).toFixed(2)} s, longest stall ${longest.toFixed(0)} ms — ${outcome}`;
}

async function attacks(): Promise<void> {
  const bomb = overlappingZip(25, 10 * MIB);
  const pdf = sharedContentPdf(
    200,
    textLines('the same line of text drawn on every page of the document', 3300),
  );
  const html = deepHtml(5000);
  console.log(`attacks (zip ${bomb.length} B, pdf ${pdf.length} B, html ${html.length} B):`);
  const rows: [string, () => unknown, () => unknown][] = [
    ['zip 25 x 10 MiB overlapping', () => inThread.zip(bomb), () => inWorker.zip(bomb)],
    ['pdf 200 pages, 1 shared stream', () => inThread.pdf(pdf), () => inWorker.pdf(pdf)],
    ['html 5,000 nested divs', () => inThread.html(html), () => inWorker.html(html)],
  ];
  for (const [name, old, now] of rows) {
    console.log(`  ${name}\n    in-thread: ${await stall(old)}\n    worker:    ${await stall(now)}`);
  }
  console.log(`  (document limits: ${JSON.stringify(DEFAULT_DOCUMENT_LIMITS)})`);
}

const args = process.argv.slice(2);
await normalPath(Number(args.find((a) => /^\d+$/.test(a)) ?? 100));
if (!args.includes('--no-attacks')) await attacks();
process.exit(0);
