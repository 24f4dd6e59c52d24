/**
 * What add_resource stores for one source file. Text (Markdown, plain text, source code, JSON, YAML,
 * CSV — any valid UTF-8 without NUL bytes) is stored as it is; HTML is converted to Markdown with
 * turndown and PDF to its text with pdf-parse, both stored as `<name>.md`; both conversions run in a
 * parse worker within {@link DocumentLimits} (parse-jobs.ts). Any other binary file is unsupported,
 * and the error names its type (from its magic bytes, else its extension).
 */
import { AppError } from '../errors.js';
import { isIndexableText } from '../fs/text.js';
import { DEFAULT_DOCUMENT_LIMITS, htmlToMarkdown, pdfToText, type DocumentLimits } from './parse-jobs.js';

/** A converted file: the name to store it under and its text. */
export interface Converted {
  readonly name: string;
  readonly content: string;
  /** How it was obtained: `text` (as is), `html` or `pdf` (converted). */
  readonly format: 'text' | 'html' | 'pdf';
}

const HTML_EXTENSIONS: ReadonlySet<string> = new Set(['.html', '.htm', '.xhtml']);
const PDF_EXTENSIONS: ReadonlySet<string> = new Set(['.pdf']);

/** Magic numbers of common binary formats, for an error that names the type. */
const SIGNATURES: readonly [string, number[]][] = [
  ['PNG image', [0x89, 0x50, 0x4e, 0x47]],
  ['JPEG image', [0xff, 0xd8, 0xff]],
  ['GIF image', [0x47, 0x49, 0x46, 0x38]],
  ['WebP/RIFF media', [0x52, 0x49, 0x46, 0x46]],
  ['gzip archive', [0x1f, 0x8b]],
  ['7-Zip archive', [0x37, 0x7a, 0xbc, 0xaf]],
  ['RAR archive', [0x52, 0x61, 0x72, 0x21]],
  ['ELF executable', [0x7f, 0x45, 0x4c, 0x46]],
  ['Windows executable', [0x4d, 0x5a]],
  ['WebAssembly module', [0x00, 0x61, 0x73, 0x6d]],
  ['MP3 audio', [0x49, 0x44, 0x33]],
  ['zip-based document', [0x50, 0x4b, 0x03, 0x04]],
];

function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot).toLowerCase() : '';
}

/** The name without its extension (`guide.html` → `guide`). */
export function stemOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(0, dot) : name;
}

function startsWith(bytes: Uint8Array, signature: readonly number[]): boolean {
  return signature.every((b, i) => bytes[i] === b);
}

/** A human name for a binary file's type. */
export function describeBinary(name: string, bytes: Uint8Array): string {
  const found = SIGNATURES.find(([, signature]) => startsWith(bytes, signature));
  if (found !== undefined) return found[0];
  const ext = extensionOf(name);
  return ext === '' ? 'binary data' : `binary '${ext}' file`;
}

/** `guide.html` → `guide.md`; a name without one of `extensions` keeps it (`page` → `page.md`). */
function asMarkdownName(name: string, extensions: ReadonlySet<string>): string {
  return `${extensions.has(extensionOf(name)) ? stemOf(name) : name}.md`;
}

function unsupported(name: string, bytes: Uint8Array): AppError {
  const type = describeBinary(name, bytes);
  return new AppError(
    'INVALID_ARGUMENT',
    `unsupported file type: ${type} (${name}); add_resource takes text, Markdown, source code, JSON/YAML/CSV, HTML, PDF or a zip of them`,
    { file: name, type },
  );
}

function isPdf(name: string, bytes: Uint8Array, mediaType: string): boolean {
  return (
    PDF_EXTENSIONS.has(extensionOf(name)) ||
    mediaType === 'application/pdf' ||
    startsWith(bytes, [0x25, 0x50, 0x44, 0x46])
  );
}

function isHtml(name: string, mediaType: string): boolean {
  return (
    HTML_EXTENSIONS.has(extensionOf(name)) ||
    mediaType === 'text/html' ||
    mediaType === 'application/xhtml+xml'
  );
}

/**
 * Converts one file; `mediaType` is the HTTP content type of a fetched URL ('' otherwise).
 * @example await convertFile('a.html', strToU8('<h1>A</h1>'), '') // { name: 'a.md', content: '# A', format: 'html' }
 */
export async function convertFile(
  name: string,
  bytes: Uint8Array,
  mediaType = '',
  limits: DocumentLimits = DEFAULT_DOCUMENT_LIMITS,
): Promise<Converted> {
  if (isPdf(name, bytes, mediaType)) {
    const content = await pdfToText(name, bytes, limits);
    return { name: asMarkdownName(name, PDF_EXTENSIONS), content, format: 'pdf' };
  }
  if (!isIndexableText(bytes)) throw unsupported(name, bytes);
  const text = new TextDecoder().decode(bytes);
  if (isHtml(name, mediaType)) {
    return {
      name: asMarkdownName(name, HTML_EXTENSIONS),
      content: `${await htmlToMarkdown(name, text, limits)}\n`,
      format: 'html',
    };
  }
  return { name, content: text, format: 'text' };
}
