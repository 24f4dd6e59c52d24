/**
 * The glob compiler as it was before the linear engine (a backtracking RegExp): the reference that
 * src/fs/patterns.test.ts compares the new one with, and the baseline of `npm run bench:patterns`.
 * Never use it on a caller's pattern.
 */
export function legacyGlob(pattern: string): RegExp {
  const escape = (char: string) => (/[.*+?^${}()|[\]\\/]/.test(char) ? `\\${char}` : char);
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] as string;
    const atNameStart = i === 0 || pattern[i - 1] === '/';
    const noDot = atNameStart ? '(?!\\.)' : '';
    const next2 = pattern[i + 2];
    if (
      char === '*' &&
      pattern[i + 1] === '*' &&
      atNameStart &&
      (next2 === '/' || i + 2 === pattern.length)
    ) {
      out += next2 === '/' ? '(?:(?!\\.)[^/]+/)*' : '(?:(?!\\.)[^/]+(?:/(?!\\.)[^/]+)*)?';
      i += next2 === '/' ? 2 : 1;
    } else if (char === '*') out += `${noDot}[^/]*`;
    else if (char === '?') out += `${noDot}[^/]`;
    else if (char === '{' && pattern.indexOf('}', i) >= 0) {
      const end = pattern.indexOf('}', i);
      const options = pattern.slice(i + 1, end).split(',');
      out += `(?:${options.map((o) => [...o].map(escape).join('')).join('|')})`;
      i = end;
    } else out += escape(char);
  }
  return new RegExp(`^${out}$`, 'u');
}
