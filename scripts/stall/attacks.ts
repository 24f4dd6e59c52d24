/**
 * The attacks the stall benchmark runs, each a request a tenant may send whose work grows with
 * something it controls. To add one: write a module exporting `Attack`s (see patterns.ts) and list
 * them in ATTACKS below.
 */
import type { Answer, Tenant } from './http.js';
import { LARGE_FILE_ATTACKS } from './large-file.js';
import { PATTERN_ATTACKS } from './patterns.js';

export interface AttackContext {
  readonly base: string;
  /** The attacking tenant (a USER key of its own account). */
  readonly attacker: Tenant;
}

export interface Attack {
  /** Short name, for `--only` and the report. */
  readonly name: string;
  /** The issue item it reproduces. */
  readonly issue: string;
  /** Writes what the attack needs (files, uploads), as the attacker. */
  prepare(ctx: AttackContext): Promise<void>;
  /** Sends the attack once and returns its answer. */
  run(ctx: AttackContext): Promise<Answer>;
}

export const ATTACKS: readonly Attack[] = [...PATTERN_ATTACKS, ...LARGE_FILE_ATTACKS];
