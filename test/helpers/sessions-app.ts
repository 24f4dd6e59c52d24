/**
 * The real app shell (buildApp: auth, body reader, error handler) with the session and filesystem routers
 * on a temporary DATA_DIR, for session HTTP tests. The Vfs reads message URIs through the service.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Express } from 'express';
import { AdminService } from '../../src/accounts/admin.js';
import { AccountStore } from '../../src/accounts/store.js';
import { loadConfig } from '../../src/config.js';
import { Vfs } from '../../src/fs/index.js';
import { buildApp } from '../../src/http/app.js';
import { fsRouter } from '../../src/http/routes/fs.js';
import { sessionsRouter } from '../../src/http/routes/sessions.js';
import { LocalSessionStorage } from '../../src/sessions/local-storage.js';
import { SessionService } from '../../src/sessions/service.js';
import { RecordingHooks } from './sessions.js';

export const ROOT_KEY = 'root-key-for-session-tests-0123456789';

export interface SessionsApp {
  app: Express;
  hooks: RecordingHooks;
  dataDir: string;
  cleanup(): Promise<void>;
}

/** `vars` are environment variables for loadConfig (e.g. `{ROOT_API_KEY}`, `{AUTH_MODE: 'trusted'}`). */
export async function sessionsApp(vars: Record<string, string>): Promise<SessionsApp> {
  const dataDir = await mkdtemp(join(tmpdir(), 'vs-sessions-app-'));
  const config = loadConfig({ ...vars, DATA_DIR: dataDir });
  const hooks = new RecordingHooks();
  const accounts = await AccountStore.open({ dataDir, registry: config.authMode === 'api_key', hooks });
  const sessions = new SessionService({
    storage: new LocalSessionStorage(dataDir),
    hooks,
    authMode: config.authMode,
    isRegisteredUser: (a, u) => accounts.isRegisteredUser(a, u),
  });
  const vfs = new Vfs({ dataDir, hooks, maxFileBytes: 1 << 20, sessionMessages: sessions });
  const app = buildApp({
    config,
    accounts,
    admin: new AdminService(accounts),
    routers: [sessionsRouter(sessions), fsRouter(vfs)],
    onContext: (ctx) => vfs.ensureIdentity(ctx),
  });
  return { app, hooks, dataDir, cleanup: () => rm(dataDir, { recursive: true, force: true }) };
}

export interface Envelope {
  status: string;
  result: Record<string, unknown>;
  error: { code: string; message: string; details: Record<string, unknown> } | null;
}

/** The response body as the envelope (supertest types it as any). */
export const env = (res: { body: unknown }): Envelope => res.body as Envelope;
