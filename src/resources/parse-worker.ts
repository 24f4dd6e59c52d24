/**
 * The source of the parse workers (see worker-pool.ts): plain JavaScript, evaluated from this string
 * so it runs the same from the build and from the TypeScript sources under test. It does the work
 * whose cost an uploader controls, each with its limits checked as it goes:
 * - `inflate`: a zip's entries (already listed and checked by zip.ts) inflated in a streaming way,
 *   each stopped as soon as it would pass its declared size, the whole as soon as it would pass
 *   `maxTotalBytes`, each checked against its CRC-32;
 * - `pdf`: a PDF's text page by page (pdf-parse), refused past `maxPages` pages or `maxTextBytes`
 *   bytes of text, checked after each page;
 * - `html`: HTML to Markdown (turndown), refused when elements nest deeper than `maxDepth` — first
 *   by a linear scan of the text (the parser's cost grows with the square of the depth), then on the
 *   parsed tree (turndown recurses once per level).
 * A refusal is answered as `{ refused: reason, ...facts }`; parse-jobs.ts turns it into an AppError.
 */
import { createRequire } from 'node:module';

/** Absolute paths of the libraries the worker loads (resolved here: eval'd code has no location). */
export function workerModules(): Record<'fflate' | 'pdfParse' | 'turndown' | 'domino', string> {
  const require = createRequire(import.meta.url);
  const turndown = require.resolve('turndown');
  return {
    fflate: require.resolve('fflate'),
    pdfParse: require.resolve('pdf-parse'),
    turndown,
    domino: createRequire(turndown).resolve('@mixmark-io/domino'),
  };
}

export const PARSE_WORKER_SOURCE = String.raw`
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const paths = workerData.modules;
// A library's stray rejection must not kill the worker (and fail another task): each task awaits
// its own work and reports its own errors.
process.on('unhandledRejection', () => undefined);

class Refusal extends Error {
  constructor(facts) { super(facts.refused); this.facts = facts; }
}
const refuse = (reason, facts) => { throw new Refusal({ refused: reason, ...facts }); };

const CRC_TABLE = new Uint32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  CRC_TABLE[n] = c >>> 0;
}
function crc32(data) {
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = CRC_TABLE[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

const INFLATE_CHUNK = 65536;
let fflate;

/** One deflated entry into a buffer of its declared size; false if the stream did not end there. */
function inflateInto(compressed, out, state) {
  fflate = fflate || require(paths.fflate);
  let written = 0;
  let ended = false;
  const inflater = new fflate.Inflate((chunk, final) => {
    if (written + chunk.length > out.length) refuse('entry_size', { entry: state.index });
    state.total += chunk.length;
    if (state.total > state.maxTotalBytes) refuse('total_size', {});
    out.set(chunk, written);
    written += chunk.length;
    ended = ended || final;
  });
  for (let at = 0; at < compressed.length; at += INFLATE_CHUNK) {
    const end = Math.min(at + INFLATE_CHUNK, compressed.length);
    inflater.push(compressed.subarray(at, end), end === compressed.length);
  }
  return ended && written === out.length;
}

function inflate(task) {
  const state = { total: 0, maxTotalBytes: task.maxTotalBytes, index: 0 };
  const datas = [];
  try {
    task.entries.forEach((entry, index) => {
      state.index = index;
      const compressed = task.bytes.subarray(entry.start, entry.start + entry.compressedSize);
      let data;
      if (entry.method === 0) {
        state.total += compressed.length;
        if (state.total > state.maxTotalBytes) refuse('total_size', {});
        data = compressed.slice();
      } else {
        data = new Uint8Array(entry.size);
        let complete;
        try {
          complete = inflateInto(compressed, data, state);
        } catch (error) {
          if (error instanceof Refusal) throw error;
          refuse('corrupt', { entry: index });
        }
        if (!complete) refuse('corrupt', { entry: index });
      }
      if (data.length !== entry.size || crc32(data) !== entry.crc) refuse('checksum', { entry: index });
      datas.push(data);
    });
  } catch (error) {
    if (error instanceof Refusal) error.facts.inflated = state.total;
    throw error;
  }
  return { value: { datas, inflated: state.total }, transfer: datas.map((d) => d.buffer) };
}

let PDFParse;

async function pdf(task) {
  PDFParse = PDFParse || require(paths.pdfParse).PDFParse;
  const parser = new PDFParse({ data: task.bytes });
  try {
    let doc;
    try {
      doc = await parser.load();
    } catch (error) {
      refuse('unreadable', { message: String((error && error.message) || error) });
    }
    if (doc.numPages > task.maxPages) refuse('pages', { pages: doc.numPages });
    const encoder = new TextEncoder();
    let text = '';
    let bytes = 0;
    for (let i = 1; i <= doc.numPages; i++) {
      let pageText;
      try {
        const page = await doc.getPage(i);
        pageText = (await parser.getPageText(page, {}, doc.numPages)) + '\n\n';
        page.cleanup();
      } catch (error) {
        refuse('unreadable', { message: String((error && error.message) || error) });
      }
      // The same text pdf-parse's getText() gives, checked after each page instead of at the end.
      bytes += encoder.encode(pageText).length;
      if (bytes > task.maxTextBytes) refuse('text_size', { page: i });
      text += pageText;
    }
    return { value: text };
  } finally {
    await parser.destroy().catch(() => undefined);
  }
}

const VOID = new Set(['area', 'base', 'basefont', 'bgsound', 'br', 'col', 'embed', 'frame', 'hr', 'img',
  'input', 'keygen', 'link', 'meta', 'param', 'source', 'track', 'wbr']);
const RAW = new Set(['script', 'style', 'textarea', 'title', 'xmp', 'iframe', 'noembed', 'noframes',
  'noscript']);
/** An element that, opening, ends an open one of these (li ends li, td ends td, …). */
const ENDS = { li: ['li'], dt: ['dt', 'dd'], dd: ['dt', 'dd'], p: ['p'], tr: ['tr', 'td', 'th'],
  td: ['td', 'th'], th: ['td', 'th'], option: ['option'], optgroup: ['optgroup', 'option'] };
const TAG = /<(\/?)([a-z][a-z0-9:-]*)/y;

/**
 * How deep the elements of the HTML text nest, as far as a linear scan can tell without building the
 * tree (stops once past the limit). Open tags count, close tags end their element and those inside
 * it, void elements and common implied ends do not nest; '/>' ends an element only in SVG/MathML.
 */
function scanDepth(html, limit) {
  const lower = html.toLowerCase();
  const stack = [];
  const open = new Map();
  const count = (name, d) => open.set(name, (open.get(name) || 0) + d);
  const pop = () => count(stack.pop(), -1);
  for (let at = lower.indexOf('<'); at >= 0; at = lower.indexOf('<', at)) {
    if (lower.startsWith('<!--', at)) {
      const end = lower.indexOf('-->', at + 4);
      if (end < 0) break;
      at = end + 3;
      continue;
    }
    TAG.lastIndex = at;
    const m = TAG.exec(lower);
    const gt = lower.indexOf('>', m === null ? at + 1 : TAG.lastIndex);
    if (gt < 0) break;
    at = gt + 1;
    if (m === null) continue;
    const name = m[2];
    if (m[1] === '/') {
      if ((open.get(name) || 0) > 0) while (stack.length > 0 && stack[stack.length - 1] !== name) pop();
      if (stack.length > 0 && stack[stack.length - 1] === name) pop();
      continue;
    }
    if (VOID.has(name)) continue;
    const foreign = (open.get('svg') || 0) + (open.get('math') || 0) > 0;
    if (foreign && lower[gt - 1] === '/') continue;
    if (ENDS[name] && stack.length > 0 && ENDS[name].includes(stack[stack.length - 1])) pop();
    if (name === 'plaintext') break;
    stack.push(name);
    count(name, 1);
    if (stack.length > limit) return stack.length;
    if (RAW.has(name)) {
      const end = lower.indexOf('</' + name, at);
      if (end < 0) break;
      at = end;
    }
  }
  return stack.length;
}

/** The depth of a parsed tree, walked with an explicit stack (no recursion). */
function treeDepth(root) {
  let max = 0;
  const stack = [[root, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop();
    if (depth > max) max = depth;
    for (let c = node.firstChild; c !== null; c = c.nextSibling) stack.push([c, depth + 1]);
  }
  return max;
}

let turndown;
let domino;

function html(task) {
  if (scanDepth(task.text, task.maxDepth) > task.maxDepth) refuse('depth', {});
  domino = domino || require(paths.domino);
  if (turndown === undefined) {
    const Turndown = require(paths.turndown);
    turndown = new Turndown({ headingStyle: 'atx', codeBlockStyle: 'fenced', bulletListMarker: '-' });
    turndown.remove(['script', 'style', 'noscript', 'template', 'head', 'title', 'iframe', 'object', 'embed']);
  }
  // Parsed the way turndown parses a string (inside its own root element), so the Markdown is the same.
  const doc = domino.createDocument('<x-turndown id="turndown-root">' + task.text + '</x-turndown>');
  const root = doc.getElementById('turndown-root');
  if (root === null) return { value: '' };
  if (treeDepth(root) > task.maxDepth) refuse('depth', {});
  return { value: turndown.turndown(root) };
}

const HANDLERS = { inflate, pdf, html };

parentPort.on('message', async ({ id, task }) => {
  try {
    const { value, transfer } = await HANDLERS[task.kind](task);
    parentPort.postMessage({ id, ok: true, value }, transfer || []);
  } catch (error) {
    const facts = error instanceof Refusal
      ? error.facts
      : { refused: 'failed', message: String((error && error.message) || error) };
    parentPort.postMessage({ id, ok: false, error: facts });
  }
});
`;
