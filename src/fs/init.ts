/**
 * Directory initialisation (SPEC 7): an account's four scope folders, and on an identity's first
 * request its user and agent scope roots with their preset folders. Containers above the scope roots
 * (isolating policies) get nothing but the folder itself, which creating the scope root makes.
 */
import {
  agentRootSegments,
  SCOPES,
  userRootSegments,
  validateId,
  type RequestContext,
} from '../policy/index.js';
import { LocalFileStorage } from '../storage/local-files.js';
import type { FileStorage } from './storage.js';

const USER_PRESETS = ['memories/preferences', 'memories/entities', 'memories/events'];
const AGENT_PRESETS = ['memories/cases', 'memories/patterns', 'skills', 'instructions'];

/**
 * Creates the account's root and `viking://resources`, `viking://user`, `viking://agent`,
 * `viking://session` in `storage` (or the local files under a DATA_DIR). Idempotent.
 */
export async function initAccount(storage: FileStorage | string, account_id: string): Promise<void> {
  validateId(account_id, 'account_id');
  const tree = typeof storage === 'string' ? new LocalFileStorage(storage) : storage;
  await tree.createRoot(account_id);
  await Promise.all(SCOPES.map((scope) => tree.mkdir(account_id, `viking://${scope}`)));
}

async function makePresets(storage: FileStorage, account_id: string, root: string[], presets: string[]) {
  const rootUri = `viking://${root.join('/')}`;
  await Promise.all(presets.map((preset) => storage.mkdir(account_id, `${rootUri}/${preset}`)));
}

/**
 * Creates the effective identity's scope roots and preset folders inside its existing account folder
 * (`NOT_FOUND` if the account was deleted meanwhile: only account creation makes that folder).
 * Idempotent.
 */
export async function initIdentity(storage: FileStorage, ctx: RequestContext): Promise<void> {
  const { effective, policy } = ctx;
  await makePresets(storage, effective.account_id, userRootSegments(effective, policy), USER_PRESETS);
  await makePresets(storage, effective.account_id, agentRootSegments(effective, policy), AGENT_PRESETS);
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
