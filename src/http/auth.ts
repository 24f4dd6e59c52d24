/**
 * Authentication and request context resolution (SPEC 5). Mounted on `/api/v1`: it finds the caller
 * (ROOT, ADMIN or USER key; trusted gateway; dev mode), derives the effective identity from the
 * X-OpenViking-* headers (the agent also from 0.4 clients' X-OpenViking-Actor-Peer) under that
 * caller's rules, attaches the RequestContext and, for tenant
 * routes, lets the filesystem prepare the identity's scope folders.
 */
import type { Request, RequestHandler } from 'express';
import type { AccountStore } from '../accounts/store.js';
import { secretEquals } from '../accounts/keys.js';
import { isLoopbackHost, type Config } from '../config.js';
import { AppError } from '../errors.js';
import { validateAgentId, validateId, validateUserIdForRegistration } from '../policy/ids.js';
import { DEFAULT_POLICY, type Identity, type RequestContext } from '../policy/types.js';
import { hasBody } from './body.js';
import { setContext } from './context.js';

export interface AuthDeps {
  readonly config: Config;
  readonly accounts: AccountStore;
  readonly onContext?: ((ctx: RequestContext) => Promise<void>) | undefined;
}

/** `admin` and `system` routes do not execute in a tenant's view; everything else under /api/v1 does. */
export type RouteClass = 'admin' | 'system' | 'tenant';

export function routeClassOf(pathBelowApiV1: string): RouteClass {
  const first = pathBelowApiV1
    .split('/')
    .find((segment) => segment !== '')
    ?.toLowerCase();
  return first === 'admin' ? 'admin' : first === 'system' ? 'system' : 'tenant';
}

const DEFAULT_ID = 'default';

interface Headers {
  readonly account?: string | undefined;
  readonly user?: string | undefined;
  readonly agent: string;
}

/** A header's value; empty means absent. */
function header(req: Request, name: string): string | undefined {
  const value = req.headers[name];
  const text = Array.isArray(value) ? value.join(', ') : value;
  return text === undefined || text === '' ? undefined : text;
}

/** X-API-Key wins; an empty one falls through to `Authorization: Bearer`. */
export function presentedKey(req: Request): string | undefined {
  const apiKey = header(req, 'x-api-key');
  if (apiKey !== undefined) return apiKey;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header(req, 'authorization') ?? '');
  return match?.[1];
}

/**
 * The agent id: `X-OpenViking-Agent`, else `X-OpenViking-Actor-Peer` (how OpenViking 0.4 clients send
 * it), else `default`. Both present and different is ambiguous: 400.
 */
function agentHeader(req: Request): string {
  const agent = header(req, 'x-openviking-agent');
  const peer = header(req, 'x-openviking-actor-peer');
  if (agent !== undefined && peer !== undefined && agent !== peer) {
    throw new AppError(
      'INVALID_ARGUMENT',
      'X-OpenViking-Agent and X-OpenViking-Actor-Peer name different agents',
      { fields: ['X-OpenViking-Agent', 'X-OpenViking-Actor-Peer'] },
    );
  }
  if (agent !== undefined) return validateAgentId(agent, 'X-OpenViking-Agent');
  return peer === undefined ? DEFAULT_ID : validateAgentId(peer, 'X-OpenViking-Actor-Peer');
}

/** The identity headers, validated (400 INVALID_ARGUMENT); a missing agent means `default`. */
function identityHeaders(req: Request): Headers {
  const account = header(req, 'x-openviking-account');
  const user = header(req, 'x-openviking-user');
  return {
    account: account === undefined ? undefined : validateId(account, 'X-OpenViking-Account'),
    user: user === undefined ? undefined : validateUserIdForRegistration(user, 'X-OpenViking-User'),
    agent: agentHeader(req),
  };
}

function requireTenantHeaders(headers: Headers, who: string): { account: string; user: string } {
  if (headers.account === undefined || headers.user === undefined) {
    throw new AppError(
      'INVALID_ARGUMENT',
      `${who} must send X-OpenViking-Account and X-OpenViking-User on this route`,
      { required: ['X-OpenViking-Account', 'X-OpenViking-User'] },
    );
  }
  return { account: headers.account, user: headers.user };
}

async function rootContext(deps: AuthDeps, headers: Headers, kind: RouteClass): Promise<RequestContext> {
  const ids =
    kind === 'tenant'
      ? requireTenantHeaders(headers, 'ROOT')
      : { account: headers.account ?? DEFAULT_ID, user: headers.user ?? DEFAULT_ID };
  const effective: Identity = { account_id: ids.account, user_id: ids.user, agent_id: headers.agent };
  // Admin routes name their account in the path (it may not exist yet); elsewhere it must exist.
  const exists = await deps.accounts.exists(ids.account);
  if (kind !== 'admin' && !exists) {
    throw new AppError('NOT_FOUND', `account '${ids.account}' not found`, { account_id: ids.account });
  }
  const policy = exists ? await deps.accounts.policyOf(ids.account) : DEFAULT_POLICY;
  return { effective, role: 'root', policy };
}

async function keyHolderContext(
  deps: AuthDeps,
  owner: { account_id: string; user_id: string; role: 'admin' | 'user' },
  headers: Headers,
): Promise<RequestContext> {
  if (headers.account !== undefined && headers.account !== owner.account_id) {
    throw new AppError('PERMISSION_DENIED', 'the key does not belong to this account');
  }
  const user_id = headers.user ?? owner.user_id;
  if (user_id !== owner.user_id) {
    if (owner.role !== 'admin')
      throw new AppError('PERMISSION_DENIED', 'a user key may only act as its user');
    if (!(await deps.accounts.isRegisteredUser(owner.account_id, user_id))) {
      throw new AppError('NOT_FOUND', `user '${user_id}' not found`, { user_id });
    }
  }
  const effective: Identity = { account_id: owner.account_id, user_id, agent_id: headers.agent };
  return { effective, role: owner.role, policy: await deps.accounts.policyOf(owner.account_id) };
}

function apiKeyContext(deps: AuthDeps, req: Request, kind: RouteClass): Promise<RequestContext> {
  const key = presentedKey(req);
  if (key === undefined) throw new AppError('UNAUTHENTICATED', 'missing API key');
  const headers = identityHeaders(req);
  const root = deps.config.rootApiKey;
  if (root !== undefined && secretEquals(key, root)) return rootContext(deps, headers, kind);
  const owner = deps.accounts.authenticate(key);
  if (owner === undefined) throw new AppError('UNAUTHENTICATED', 'invalid API key');
  return keyHolderContext(deps, owner, headers);
}

async function trustedContext(deps: AuthDeps, req: Request, kind: RouteClass): Promise<RequestContext> {
  const root = deps.config.rootApiKey;
  if (root !== undefined) {
    const key = presentedKey(req);
    if (key === undefined || !secretEquals(key, root)) {
      throw new AppError('UNAUTHENTICATED', 'trusted mode requires the configured root key');
    }
  }
  if (kind === 'admin') throw new AppError('PERMISSION_DENIED', 'the admin API is disabled in trusted mode');
  const headers = identityHeaders(req);
  const ids = requireTenantHeaders(headers, 'trusted callers');
  const effective: Identity = { account_id: ids.account, user_id: ids.user, agent_id: headers.agent };
  return { effective, role: 'user', policy: await deps.accounts.policyOf(ids.account) };
}

async function devContext(deps: AuthDeps, req: Request, kind: RouteClass): Promise<RequestContext> {
  if (kind === 'admin') {
    // The quick start runs in dev mode: say how to reach the admin API rather than only that it is off.
    throw new AppError(
      'PERMISSION_DENIED',
      'the admin API is disabled in dev mode (no ROOT_API_KEY): restart the server with ROOT_API_KEY set, e.g. `ROOT_API_KEY=<a long secret> npm start`, and send that key as X-API-Key',
      { hint: 'set ROOT_API_KEY' },
    );
  }
  const headers = identityHeaders(req);
  const account_id = headers.account ?? DEFAULT_ID;
  const effective: Identity = { account_id, user_id: headers.user ?? DEFAULT_ID, agent_id: headers.agent };
  return { effective, role: 'root', policy: await deps.accounts.policyOf(account_id) };
}

/** Resolves the caller and effective identity of a request below /api/v1 (throws AppError). */
export function resolveContext(deps: AuthDeps, req: Request, kind: RouteClass): Promise<RequestContext> {
  switch (deps.config.authMode) {
    case 'api_key':
      return apiKeyContext(deps, req, kind);
    case 'trusted':
      return trustedContext(deps, req, kind);
    case 'dev':
      return devContext(deps, req, kind);
  }
}

/** Whether `origin` (an Origin header) names the server the request was addressed to (`host`). */
function isSameOrigin(origin: string, host: string): boolean {
  try {
    const from = new URL(origin);
    if (from.protocol !== 'http:' && from.protocol !== 'https:') return false;
    return from.host === new URL(`${from.protocol}//${host}`).host;
  } catch {
    return false;
  }
}

/**
 * Dev mode trusts every request as ROOT, so it answers only requests addressed to a loopback host
 * (a web page that rebinds its own domain to 127.0.0.1 by DNS sends its own Host and is refused),
 * and only same-origin ones: a page elsewhere may still send "simple" cross-site requests (form,
 * text/plain or multipart POSTs) to 127.0.0.1, and the browser marks them with its own Origin. A
 * request without Host (HTTP/1.0) cannot be checked and is refused too.
 */
function assertDevRequest(req: Request): void {
  const host = req.headers.host;
  if (host === undefined || host === '' || !isLoopbackHost(req.hostname ?? '')) {
    throw new AppError('PERMISSION_DENIED', 'dev mode only answers requests to a loopback host name');
  }
  const origin = req.headers.origin;
  if (origin !== undefined && !isSameOrigin(origin, host)) {
    throw new AppError(
      'PERMISSION_DENIED',
      "dev mode refuses cross-site requests (Origin is not this server's)",
    );
  }
}

/**
 * The auth middleware for `/api/v1` and `/mcp`, run before the body is read (it needs headers only);
 * `fixedKind` sets the route class of a route outside /api/v1 (`GET /metrics` authenticates like
 * the system routes, `/mcp` like a tenant route).
 */
export function authMiddleware(deps: AuthDeps, fixedKind?: RouteClass): RequestHandler {
  return async (req, res, next) => {
    const kind = fixedKind ?? routeClassOf(req.path);
    let ctx: RequestContext;
    try {
      if (deps.config.authMode === 'dev') assertDevRequest(req);
      ctx = await resolveContext(deps, req, kind);
    } catch (error) {
      // The body of a refused request is never read: close the connection after the answer rather
      // than let the server read and discard whatever the client still sends.
      if (hasBody(req)) res.setHeader('Connection', 'close');
      throw error;
    }
    setContext(req, ctx);
    if (kind === 'tenant') {
      if (!deps.accounts.registry) await deps.accounts.prepare(ctx.effective.account_id);
      await deps.onContext?.(ctx);
    }
    next();
  };
}
