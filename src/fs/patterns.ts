/**
 * Patterns of grep and glob, with safety bounds: JavaScript regexes cannot be interrupted, so a grep
 * pattern is limited in length and may not repeat a group that itself repeats (the classic
 * catastrophic-backtracking shape `(a+)+`); glob patterns compile to linear regexes.
 */
import { AppError, messageOf } from '../errors.js';

export const MAX_PATTERN_LENGTH = 512;
/** A quantified group containing a quantifier: `(a+)+`, `(\w*)*`, `(x{2,})+`. */
const NESTED_QUANTIFIER = /\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)\s*(?:[+*]|\{\d+,?\d*\})/;

/**
 * Compiles a grep pattern; invalid or unsafe patterns are `400 INVALID_ARGUMENT`.
 * @example compileGrepPattern('todo', true).test('TODO: x') // true
 */
export function compileGrepPattern(pattern: string, caseInsensitive: boolean): RegExp {
  if (pattern.length === 0 || pattern.length > MAX_PATTERN_LENGTH) {
    throw new AppError('INVALID_ARGUMENT', `pattern must have 1 to ${MAX_PATTERN_LENGTH} characters`, {
      field: 'pattern',
    });
  }
  if (NESTED_QUANTIFIER.test(pattern)) {
    throw new AppError('INVALID_ARGUMENT', 'pattern repeats a repeated group (unsafe)', { field: 'pattern' });
  }
  try {
    return new RegExp(pattern, caseInsensitive ? 'iu' : 'u');
  } catch (error) {
    throw new AppError('INVALID_ARGUMENT', `invalid regular expression: ${messageOf(error)}`, {
      field: 'pattern',
    });
  }
}

function escapeRegex(char: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(char) ? `\\${char}` : char;
}

function braceAlternatives(pattern: string, start: number): { regex: string; end: number } | null {
  const end = pattern.indexOf('}', start);
  if (end < 0) return null;
  const options = pattern.slice(start + 1, end).split(',');
  const alternatives = options.map((option) => [...option].map(escapeRegex).join(''));
  return { regex: `(?:${alternatives.join('|')})`, end };
}

/**
 * Compiles a glob over `/`-separated relative paths: `**` spans folders, `*` and `?` stay within one
 * name, `{a,b}` picks alternatives. Wildcards do not match a leading dot (hidden names), like a shell.
 * @example globToRegExp('**\/*.md').test('docs/a.md') // true
 */
export function globToRegExp(pattern: string): RegExp {
  if (pattern.length === 0 || pattern.length > MAX_PATTERN_LENGTH) {
    throw new AppError('INVALID_ARGUMENT', `pattern must have 1 to ${MAX_PATTERN_LENGTH} characters`, {
      field: 'pattern',
    });
  }
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] as string;
    const atNameStart = i === 0 || pattern[i - 1] === '/';
    const noDot = atNameStart ? '(?!\\.)' : '';
    if (
      char === '*' &&
      pattern[i + 1] === '*' &&
      atNameStart &&
      (pattern[i + 2] === '/' || i + 2 === pattern.length)
    ) {
      out += pattern[i + 2] === '/' ? '(?:(?!\\.)[^/]+/)*' : '(?:(?!\\.)[^/]+(?:/(?!\\.)[^/]+)*)?';
      i += pattern[i + 2] === '/' ? 2 : 1;
    } else if (char === '*') {
      out += `${noDot}[^/]*`;
    } else if (char === '?') {
      out += `${noDot}[^/]`;
    } else if (char === '{') {
      const braces = braceAlternatives(pattern, i);
      out += braces === null ? '\\{' : braces.regex;
      if (braces !== null) i = braces.end;
    } else {
      out += escapeRegex(char);
    }
  }
  return new RegExp(`^${out}$`, 'u');
}
