/**
 * Issue 23 item 5 (issue 22 defect 6): a tenant writes a file just under `MAX_FILE_BYTES` (9.5 MiB,
 * ~12.5k chunks), then rewrites it — indexing puts every chunk into the in-memory index and takes
 * the old ones out, work that must not hold other tenants' requests.
 */
import type { Attack, AttackContext } from './attacks.js';
import { sendJson, type Answer } from './http.js';

const URI = 'viking://resources/stall/large/big.md';
/** 9.5 MiB of prose-like lines (within MAX_FILE_BYTES and the body limit), different words each time so a rewrite changes every chunk. */
function bigText(seed: string): string {
  const line = `${seed} the quick brown fox jumps over the lazy dog near the riverbank at dawn\n`;
  return line.repeat(Math.floor((9.5 * 1024 * 1024) / Buffer.byteLength(line)));
}

function writeAttack(name: string, seed: string): Attack {
  let payload: string | undefined;
  return {
    name,
    issue: '23.5',
    prepare() {
      // Serialised once, before the probes start: not while their answers arrive.
      payload = JSON.stringify({ uri: URI, content: bigText(seed), wait: true, timeout: 300 });
      return Promise.resolve();
    },
    async run(ctx: AttackContext): Promise<Answer> {
      return sendJson(ctx.base, ctx.attacker, 'POST', '/api/v1/content/write', payload);
    },
  };
}

export const LARGE_FILE_ATTACKS: readonly Attack[] = [
  writeAttack('write a 9.5 MiB file (wait until indexed)', 'alpha'),
  writeAttack('rewrite the 9.5 MiB file (wait until indexed)', 'bravo'),
];
