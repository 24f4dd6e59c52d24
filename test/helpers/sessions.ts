/** Shared fixtures for session tests: a temp DATA_DIR, a SessionService, identities and recording hooks. */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContentHooks, IndexTickets } from '../../src/hooks.js';
import { DEFAULT_POLICY, type RequestContext, type Role } from '../../src/policy/index.js';
import { LocalSessionStorage } from '../../src/sessions/local-storage.js';
import { SessionService, type AuthMode } from '../../src/sessions/service.js';

/** Hooks that record every call, so tests can assert what reached the indexing pipeline. */
export class RecordingHooks implements ContentHooks {
  readonly calls: string[] = [];
  fileWritten(account_id: string, uri: string): Promise<IndexTickets> {
    this.calls.push(`fileWritten ${account_id} ${uri}`);
    return Promise.resolve([]);
  }
  removed(account_id: string, uri: string): Promise<IndexTickets> {
    this.calls.push(`removed ${account_id} ${uri}`);
    return Promise.resolve([]);
  }
  moved(account_id: string, from: string, to: string): Promise<IndexTickets> {
    this.calls.push(`moved ${account_id} ${from} ${to}`);
    return Promise.resolve([]);
  }
  messageAdded(account_id: string, session_id: string, message_id: string): Promise<IndexTickets> {
    this.calls.push(`messageAdded ${account_id} ${session_id} ${message_id}`);
    return Promise.resolve([]);
  }
  accountDeleted(account_id: string): Promise<IndexTickets> {
    this.calls.push(`accountDeleted ${account_id}`);
    return Promise.resolve([]);
  }
}

/** Registered users, as `account/user`. */
export const REGISTERED = new Set(['acme/alice', 'acme/bob', 'acme/carol', 'other/dave']);
const ACCOUNTS = ['acme', 'other'];

export function ctxOf(role: Role, user = 'alice', agent = 'bot', account = 'acme'): RequestContext {
  return { role, policy: DEFAULT_POLICY, effective: { account_id: account, user_id: user, agent_id: agent } };
}

export interface Fixture {
  dataDir: string;
  hooks: RecordingHooks;
  service: SessionService;
  /** A second service over the same DATA_DIR (a restart). */
  restart(): SessionService;
  cleanup(): Promise<void>;
}

export async function sessionFixture(authMode: AuthMode = 'api_key'): Promise<Fixture> {
  const dataDir = await mkdtemp(join(tmpdir(), 'vs-sessions-'));
  // The accounts exist, as they do before any request reaches the service.
  for (const account of ACCOUNTS) await mkdir(join(dataDir, 'fs', account), { recursive: true });
  const hooks = new RecordingHooks();
  const make = (): SessionService =>
    new SessionService({
      storage: new LocalSessionStorage(dataDir),
      hooks,
      authMode,
      isRegisteredUser: (a, u) => Promise.resolve(REGISTERED.has(`${a}/${u}`)),
    });
  return {
    dataDir,
    hooks,
    service: make(),
    restart: make,
    cleanup: () => rm(dataDir, { recursive: true, force: true }),
  };
}

export function sessionPath(dataDir: string, account: string, session_id: string, ...rest: string[]): string {
  return join(dataDir, 'fs', account, 'session', session_id, ...rest);
}
