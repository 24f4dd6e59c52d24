/** A real app on a temporary DATA_DIR for HTTP tests, plus a probe router that echoes the context. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Router, type Express, type Request, type Response } from 'express';
import { z } from 'zod';
import { AccountStore } from '../../src/accounts/store.js';
import { loadConfig, type Config } from '../../src/config.js';
import { AppError } from '../../src/errors.js';
import { NO_HOOKS, type ContentHooks } from '../../src/hooks.js';
import { AdminService } from '../../src/accounts/admin.js';
import { buildApp, type AppDeps } from '../../src/http/app.js';
import { contextOf, sendOk } from '../../src/http/context.js';
import { route } from '../../src/http/openapi/route.js';
import { parseInput } from '../../src/validate.js';
import type { RequestContext } from '../../src/policy/types.js';

export const ROOT_KEY = 'root-key-for-tests-0123456789';

export interface TestApp {
  readonly app: Express;
  readonly dataDir: string;
  readonly config: Config;
  readonly accounts: AccountStore;
  /** Contexts passed to onContext, in order. */
  readonly contexts: RequestContext[];
  /** Accounts passed to hooks.accountDeleted, in order. */
  readonly deletedAccounts: string[];
}

/**
 * Routes a tenant router might have: echo the context, throw each kind of error, parse a body. They
 * are declared with `route` like every real route (only declared routes are known to the app).
 */
export function probeRouter(): Router {
  const router = Router();
  const get = (path: string, handler: (req: Request, res: Response) => unknown): void =>
    route(router, { method: 'get', path, tag: 'probe', summary: 'test probe' }, handler);
  get('/probe/whoami', (req, res) => sendOk(res, contextOf(req)));
  const echo = z.object({ name: z.string().min(1), count: z.number().int() });
  route(router, { method: 'post', path: '/probe/echo', tag: 'probe', summary: 'test probe' }, (req, res) =>
    sendOk(res, parseInput(echo, req.body)),
  );
  // A schema failing inside the server (as a bad row read from the index would).
  get('/probe/internal-zod', () => echo.parse({ name: 'from the index', count: 'not a number' }));
  get('/probe/app-error', () => {
    throw new AppError('FAILED_PRECONDITION', 'nope', { path: 'probe' });
  });
  get('/probe/crash', () => Promise.reject(new Error('secret internal detail')));
  return router;
}

export interface TestAppOptions {
  readonly env?: Record<string, string>;
  readonly dataDir?: string;
  readonly extra?: Partial<Pick<AppDeps, 'ready' | 'status'>>;
}

export async function makeApp(options: TestAppOptions = {}): Promise<TestApp> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'vs-http-')));
  const config = loadConfig({ ROOT_API_KEY: ROOT_KEY, ...options.env, DATA_DIR: dataDir });
  const deletedAccounts: string[] = [];
  const hooks: ContentHooks = {
    ...NO_HOOKS,
    accountDeleted: (account_id) => {
      deletedAccounts.push(account_id);
      return Promise.resolve([]);
    },
  };
  const accounts = await AccountStore.open({ dataDir, registry: config.authMode === 'api_key', hooks });
  const contexts: RequestContext[] = [];
  const app = buildApp({
    config,
    accounts,
    admin: new AdminService(accounts),
    routers: [probeRouter()],
    onContext: (ctx) => {
      contexts.push(ctx);
      return Promise.resolve();
    },
    ...options.extra,
  });
  return { app, dataDir, config, accounts, contexts, deletedAccounts };
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** Shape check of the error envelope; returns the error object. */
export function expectErrorEnvelope(body: unknown, code: string): { message: string; details: unknown } {
  const parsed = z
    .object({
      status: z.literal('error'),
      result: z.null(),
      error: z.object({
        code: z.literal(code),
        message: z.string(),
        details: z.record(z.string(), z.unknown()),
      }),
    })
    .parse(body);
  return parsed.error;
}

/** The `result` of a response envelope (supertest bodies are untyped). */
export function resultOf(res: { body: unknown }): unknown {
  return z.object({ result: z.unknown() }).parse(res.body).result;
}

/** A value inside `result`, by path: `at(res, 'effective', 'user_id')`. */
export function at(res: { body: unknown }, ...path: (string | number)[]): unknown {
  let value = resultOf(res);
  for (const step of path) {
    value = z.record(z.string(), z.unknown()).or(z.array(z.unknown())).parse(value);
    value = Array.isArray(value) ? value[Number(step)] : (value as Record<string, unknown>)[String(step)];
  }
  return value;
}

/** The `user_key` of a response. */
export function keyOf(res: { body: unknown }): string {
  return z.string().parse(at(res, 'user_key'));
}
