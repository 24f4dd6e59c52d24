/**
 * Directory initialisation (SPEC 7): an account's four scope folders, and on an identity's first
 * request its user and agent scope roots with their preset folders. Containers above the scope roots
 * (isolating policies) get nothing but the folder itself, which creating the scope root makes.
 */
import { mkdir } from 'node:fs/promises';
import {
  agentRootSegments,
  SCOPES,
  userRootSegments,
  validateId,
  type RequestContext,
} from '../policy/index.js';
import { mkdirWithin } from '../storage/atomic.js';
import { DIR_MODE } from '../storage/modes.js';
import { accountDir, pathOfUri } from '../storage/paths.js';

const USER_PRESETS = ['memories/preferences', 'memories/entities', 'memories/events'];
const AGENT_PRESETS = ['memories/cases', 'memories/patterns', 'skills', 'instructions'];

/** Creates `viking://resources`, `viking://user`, `viking://agent`, `viking://session`. Idempotent. */
export async function initAccount(dataDir: string, account_id: string): Promise<void> {
  validateId(account_id, 'account_id');
  await mkdir(accountDir(dataDir, account_id), { recursive: true, mode: DIR_MODE });
  await Promise.all(
    SCOPES.map((scope) =>
      mkdir(pathOfUri(dataDir, account_id, `viking://${scope}`), { recursive: true, mode: DIR_MODE }),
    ),
  );
}

async function makePresets(dataDir: string, account_id: string, root: string[], presets: string[]) {
  const rootUri = `viking://${root.join('/')}`;
  await Promise.all(
    presets.map((preset) =>
      mkdirWithin(accountDir(dataDir, account_id), pathOfUri(dataDir, account_id, `${rootUri}/${preset}`)),
    ),
  );
}

/**
 * Creates the effective identity's scope roots and preset folders inside its existing account folder
 * (`NOT_FOUND` if the account was deleted meanwhile: only account creation makes that folder).
 * Idempotent.
 */
export async function initIdentity(dataDir: string, ctx: RequestContext): Promise<void> {
  const { effective, policy } = ctx;
  await makePresets(dataDir, effective.account_id, userRootSegments(effective, policy), USER_PRESETS);
  await makePresets(dataDir, effective.account_id, agentRootSegments(effective, policy), AGENT_PRESETS);
}

/** Cache key of an initialised identity (the policy is part of where its roots are). */
export function identityKey(ctx: RequestContext): string {
  const { effective: e, policy: p } = ctx;
  return [
    e.account_id,
    e.user_id,
    e.agent_id,
    Number(p.isolate_user_scope_by_agent),
    Number(p.isolate_agent_scope_by_user),
  ].join('\u0000');
}
