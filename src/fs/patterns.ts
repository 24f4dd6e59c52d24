/**
 * Every pattern a caller sends (grep regexes, glob patterns of search/glob and of add_resource's
 * include/exclude) is compiled here, and only here, for the linear-time RE2 engine (re2js). JavaScript's
 * own RegExp backtracks: `(a|a)*b` on 40 characters would hold the event loop for hours, and no check
 * of a pattern's shape can rule every such case out. RE2 matches in time linear in the text for a
 * given pattern, so the work of a match is bounded by the text's length times the pattern's size,
 * both of which are capped here and in the callers.
 */
import { RE2JS } from 're2js';
import { AppError, itemAt } from '../errors.js';

export const MAX_PATTERN_LENGTH = 512;
/**
 * Largest compiled grep program (RE2's instruction count). Real patterns stay far below (`TODO|FIXME`
 * is 13, a SHA-1 class `[0-9a-f]{40}` 43); above about 1,000 a program can outgrow RE2's lazy DFA and
 * run on its NFA at milliseconds per character. At 500 the worst we measured was ~7 ms per 8 KiB line.
 */
export const MAX_PROGRAM_SIZE = 500;

/** A compiled pattern: `test` answers whether the text matches (grep: anywhere; glob: the whole path). */
export interface Matcher {
  test(text: string): boolean;
}

function invalid(message: string): AppError {
  return new AppError('INVALID_ARGUMENT', message, { field: 'pattern' });
}

function checkLength(pattern: string): void {
  if (pattern.length === 0 || pattern.length > MAX_PATTERN_LENGTH) {
    throw invalid(`pattern must have 1 to ${MAX_PATTERN_LENGTH} characters`);
  }
}

/** Groups RE2 cannot run in linear time, by how they open. */
const UNSUPPORTED_GROUPS: readonly (readonly [string, string])[] = [
  ['(?<=', 'lookbehind'],
  ['(?<!', 'lookbehind'],
  ['(?=', 'lookahead'],
  ['(?!', 'lookahead'],
  ['(?>', 'atomic group'],
];

/** The first construct of `pattern` the linear engine does not support, with its text, or null. */
function unsupportedConstruct(pattern: string): { name: string; text: string } | null {
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i];
    if (char === '\\') {
      const next = pattern[i + 1] ?? '';
      if (!inClass && /[1-9]/.test(next)) return { name: 'backreference', text: `\\${next}` };
      if (!inClass && next === 'k' && pattern[i + 2] === '<') return { name: 'backreference', text: '\\k<' };
      i++;
    } else if (inClass) {
      inClass = char !== ']';
    } else if (char === '[') {
      inClass = true;
      if (pattern[i + 1] === '^') i++;
      if (pattern[i + 1] === ']') i++;
    } else if (char === '(') {
      const found = UNSUPPORTED_GROUPS.find(([opening]) => pattern.startsWith(opening, i));
      if (found) return { name: found[1], text: found[0] };
    }
  }
  return null;
}

/** Characters that are syntax in a regex; escaped (`\\.`), each stands for itself in both engines. */
const SYNTAX_CHARS = '^$\\.*+?()[]{}|/';

/**
 * Whether a pattern is only literal alternatives (`TODO`, `error|warning`, `^## `, `a\\.b`): plain
 * characters, escaped syntax characters, `|`, and `^`/`$` at an alternative's ends. Such a pattern
 * has no choice inside an alternative, so even a backtracking engine tries at most its length in
 * steps per position (linear in the text), and RE2 and JavaScript's RegExp agree on it exactly.
 */
function isLiteralAlternation(pattern: string): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const char = itemAt(pattern, i);
    const next = pattern[i + 1];
    if (char === '\\') {
      if (next === undefined || !SYNTAX_CHARS.includes(next)) return false;
      i++;
    } else if (char === '^') {
      if (i > 0 && pattern[i - 1] !== '|') return false;
    } else if (char === '$') {
      if (next !== undefined && next !== '|') return false;
    } else if (char !== '|' && SYNTAX_CHARS.includes(char) && char !== '/') {
      return false;
    }
  }
  return true;
}

/** Why RE2 refused a pattern, without its stack or class name. */
function syntaxMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/^error parsing regexp: /, '');
}

/**
 * Compiles a grep pattern (JavaScript / RE2 syntax, without backreferences or lookaround) for the
 * linear-time engine. Invalid, unsupported or too complex patterns are `400 INVALID_ARGUMENT` naming
 * the reason (the message names an unsupported construct).
 * @example compileGrepPattern('todo', true).test('TODO: x') // true
 */
export function compileGrepPattern(pattern: string, caseInsensitive: boolean): Matcher {
  checkLength(pattern);
  const unsupported = unsupportedConstruct(pattern);
  if (unsupported !== null) {
    throw invalid(
      `pattern uses a ${unsupported.name} (${unsupported.text}), which grep does not support: ` +
        'patterns run on a linear-time (RE2) engine without backreferences or lookaround',
    );
  }
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(RE2JS.translateRegExp(pattern), caseInsensitive ? RE2JS.CASE_INSENSITIVE : 0);
  } catch (error) {
    throw invalid(`invalid regular expression: ${syntaxMessage(error)}`);
  }
  if (compiled.programSize() > MAX_PROGRAM_SIZE) {
    throw invalid(
      `pattern is too complex (${compiled.programSize()} steps, at most ${MAX_PROGRAM_SIZE}): ` +
        'use fewer or smaller counted repetitions',
    );
  }
  // The everyday literal searches run on V8's RegExp, 10-30 times faster than re2js on short lines
  // (npm run bench:patterns) and linear for them (see isLiteralAlternation).
  if (isLiteralAlternation(pattern)) return new RegExp(pattern, caseInsensitive ? 'iu' : 'u');
  return compiled;
}

/**
 * Glob syntax (unchanged from the RegExp version): `**` as a whole name spans folders, `*` and `?`
 * stay within one name, `{a,b}` picks literal alternatives; everything else, `[` included, is
 * literal. A wildcard that starts a name does not match a leading dot (hidden names), like a shell.
 *
 * RE2 has no lookahead to say "no leading dot", so the path is matched in a marked form: every name
 * is preceded by VISIBLE or HIDDEN (its first character is a dot), and the pattern asks for VISIBLE
 * where a wildcard starts a name and for either mark elsewhere.
 */
const VISIBLE = '\u0001';
const HIDDEN = '\u0002';
const ANY_MARK = `[${VISIBLE}${HIDDEN}]`;
/** One character of a name: never a separator or a mark. */
const NAME_CHAR = `[^/${VISIBLE}${HIDDEN}]`;
/** `**` followed by `/`: any number of visible folders. */
const GLOBSTAR_FOLDERS = `(?:${VISIBLE}${NAME_CHAR}+/)*`;
/** `**` ending the pattern: an empty name, or visible names separated by `/`. */
const GLOBSTAR_REST = `${VISIBLE}(?:${NAME_CHAR}+(?:/${VISIBLE}${NAME_CHAR}+)*)?`;

/** `path` with each name preceded by its mark. */
function marked(path: string): string {
  const visibleOnly = !path.startsWith('.') && !path.includes('/.');
  if (visibleOnly) return VISIBLE + path.replaceAll('/', `/${VISIBLE}`);
  return path
    .split('/')
    .map((name) => (name.startsWith('.') ? HIDDEN : VISIBLE) + name)
    .join('/');
}

function escapeLiteral(char: string): string {
  if (char === '/') return `/${ANY_MARK}`;
  return /[.*+?^${}()|[\]\\]/.test(char) ? `\\${char}` : char;
}

function braceAlternatives(pattern: string, start: number): { regex: string; end: number } | null {
  const end = pattern.indexOf('}', start);
  if (end < 0) return null;
  const options = pattern.slice(start + 1, end).split(',');
  const alternatives = options.map((option) => [...option].map(escapeLiteral).join(''));
  return { regex: `(?:${alternatives.join('|')})`, end };
}

/** `**` as a whole name at `i` (at a name start, ending the pattern or followed by `/`). */
function isGlobstar(pattern: string, i: number): boolean {
  return pattern.startsWith('**', i) && (pattern[i + 2] === '/' || i + 2 === pattern.length);
}

/** The mark expected at a name start, from the pattern's next character (a globstar sets its own). */
function markBefore(pattern: string, i: number): string {
  if (isGlobstar(pattern, i)) return '';
  return pattern[i] === '*' || pattern[i] === '?' ? VISIBLE : ANY_MARK;
}

/** The RE2 source of a glob over marked paths. */
function globSource(pattern: string): string {
  let out = markBefore(pattern, 0);
  for (let i = 0; i < pattern.length; i++) {
    const char = itemAt(pattern, i);
    const atNameStart = i === 0 || pattern[i - 1] === '/';
    if (atNameStart && isGlobstar(pattern, i)) {
      out += pattern[i + 2] === '/' ? GLOBSTAR_FOLDERS + markBefore(pattern, i + 3) : GLOBSTAR_REST;
      i += pattern[i + 2] === '/' ? 2 : 1;
    } else if (char === '*') {
      out += `${NAME_CHAR}*`;
    } else if (char === '?') {
      out += NAME_CHAR;
    } else if (char === '{') {
      const braces = braceAlternatives(pattern, i);
      out += braces === null ? '\\{' : braces.regex;
      if (braces !== null) i = braces.end;
    } else if (char === '/') {
      out += `/${markBefore(pattern, i + 1)}`;
    } else {
      out += escapeLiteral(char);
    }
  }
  return out;
}

/** Compiled globs by pattern: add_resource tests every archive entry against the same few. */
const globCache = new Map<string, Matcher>();
const GLOB_CACHE_SIZE = 256;

/**
 * Compiles a glob over `/`-separated relative paths (syntax above) for the linear-time engine.
 * @example compileGlob('**\/*.md').test('docs/a.md') // true
 */
export function compileGlob(pattern: string): Matcher {
  const cached = globCache.get(pattern);
  if (cached !== undefined) return cached;
  checkLength(pattern);
  // Control characters never occur in names, and would let a pattern spell the marks.
  if (/\p{Cc}/u.test(pattern)) throw invalid('pattern must not contain control characters');
  // Anchored by the source: re2js's unanchored test runs faster than its testExact here.
  const compiled = RE2JS.compile(`^(?:${globSource(pattern)})$`);
  const matcher: Matcher = { test: (path) => compiled.test(marked(path)) };
  if (globCache.size >= GLOB_CACHE_SIZE) globCache.clear();
  globCache.set(pattern, matcher);
  return matcher;
}
