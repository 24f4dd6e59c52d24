/**
 * `viking://` URIs: normalisation (SPEC 3.1), shorthand expansion (3.3), canonical shapes per policy
 * (3.2), owner fields (3.5) and context types (9.2). Pure functions; every error is `INVALID_URI`.
 */
import { AppError } from '../errors.js';
import { AGENT_SHORTHAND, USER_SHORTHAND, isValidId } from './ids.js';
import { SCOPES, type Identity, type NamespacePolicy, type Scope } from './types.js';

export const URI_PREFIX = 'viking://';
const MAX_URI_BYTES = 4096;
const MAX_SEGMENT_BYTES = 255;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

declare const canonicalBrand: unique symbol;
/**
 * A URI that went through {@link resolveUri} (or, read back from storage, passed {@link isCanonicalUri});
 * only this module creates them.
 */
export type CanonicalUri = string & { readonly [canonicalBrand]: true };

export type ContextType = 'resource' | 'memory' | 'skill' | 'session';

/** A canonical URI with everything the policy derives from it. */
export interface ResolvedUri {
  readonly uri: CanonicalUri;
  /** Segments after `viking://`; empty for the root. */
  readonly segments: readonly string[];
  /** `null` only for the root `viking://`. */
  readonly scope: Scope | null;
  readonly owner_user_id: string | null;
  readonly owner_agent_id: string | null;
  /** The root, a bare scope root, or a per-user/per-agent container under an isolating policy. */
  readonly is_container: boolean;
}

function invalid(message: string, uri: string): AppError {
  return new AppError('INVALID_URI', message, { uri: uri.length > 200 ? `${uri.slice(0, 200)}…` : uri });
}

function isScope(value: string): value is Scope {
  return SCOPES.some((scope) => scope === value);
}

/**
 * Normalises a raw URI into segments: adds `viking://`, drops leading, repeated and trailing `/`,
 * and rejects malformed segments. No percent-decoding.
 * @example normalizeSegments('/resources//a/') // ['resources', 'a']
 */
export function normalizeSegments(raw: unknown): string[] {
  if (typeof raw !== 'string') throw new AppError('INVALID_URI', 'uri must be a string');
  if (Buffer.byteLength(raw, 'utf8') > MAX_URI_BYTES + URI_PREFIX.length + 64) {
    throw invalid(`uri longer than ${MAX_URI_BYTES} bytes`, raw);
  }
  const rest = raw.startsWith(URI_PREFIX) ? raw.slice(URI_PREFIX.length) : raw;
  const segments = rest.split('/').filter((s) => s.length > 0);
  for (const segment of segments) {
    if (segment === '.' || segment === '..') throw invalid(`segment '${segment}' is not allowed`, raw);
    if (segment.includes('\\')) throw invalid('segments may not contain a backslash', raw);
    if (CONTROL_CHARS.test(segment)) throw invalid('segments may not contain control characters', raw);
    if (Buffer.byteLength(segment, 'utf8') > MAX_SEGMENT_BYTES) {
      throw invalid(`segment longer than ${MAX_SEGMENT_BYTES} bytes`, raw);
    }
  }
  const first = segments[0];
  if (first !== undefined && !isScope(first)) throw invalid(`unknown scope '${first}'`, raw);
  if (Buffer.byteLength(toUri(segments), 'utf8') > MAX_URI_BYTES) {
    throw invalid(`uri longer than ${MAX_URI_BYTES} bytes`, raw);
  }
  return segments;
}

function toUri(segments: readonly string[]): string {
  return URI_PREFIX + segments.join('/');
}

/** Segments of an identity's user scope root (SPEC 3.2). */
export function userRootSegments(identity: Identity, policy: NamespacePolicy): string[] {
  return policy.isolate_user_scope_by_agent
    ? ['user', identity.user_id, 'agent', identity.agent_id]
    : ['user', identity.user_id];
}

/** Segments of an identity's agent scope root (SPEC 3.2). */
export function agentRootSegments(identity: Identity, policy: NamespacePolicy): string[] {
  return policy.isolate_agent_scope_by_user
    ? ['agent', identity.agent_id, 'user', identity.user_id]
    : ['agent', identity.agent_id];
}

function expandShorthand(
  segments: string[],
  identity: Identity | null,
  policy: NamespacePolicy,
  raw: string,
) {
  const [scope, second] = segments;
  if (second === undefined) return segments;
  const words = scope === 'user' ? USER_SHORTHAND : scope === 'agent' ? AGENT_SHORTHAND : null;
  if (words === null || !words.has(second)) return segments;
  if (identity === null) throw invalid('shorthand is not allowed in a canonical URI', raw);
  const root = scope === 'user' ? userRootSegments(identity, policy) : agentRootSegments(identity, policy);
  return [...root, ...segments.slice(1)];
}

function requireId(value: string, raw: string): string {
  if (isValidId(value)) return value;
  throw invalid(`'${String(value)}' is not a valid id`, raw);
}

interface Owners {
  owner_user_id: string | null;
  owner_agent_id: string | null;
  is_container: boolean;
}

/**
 * Owner tuple of a user- or agent-scope URI. `outer` is the id after the scope; under an isolating
 * flag the URI must continue with `/{inner}/{id}` or stop at the container.
 */
function ownersOfOwnedScope(segments: readonly string[], isolating: boolean, inner: string, raw: string) {
  const outer = requireId(segments[1] ?? '', raw);
  if (!isolating) return { outer, innerId: null, is_container: false };
  if (segments.length === 2) return { outer, innerId: null, is_container: true };
  if (segments[2] !== inner || segments[3] === undefined) {
    throw invalid(`expected '${inner}/{id}' under ${toUri(segments.slice(0, 2))}`, raw);
  }
  return { outer, innerId: requireId(segments[3], raw), is_container: false };
}

function ownersOf(segments: readonly string[], policy: NamespacePolicy, raw: string): Owners {
  const none = { owner_user_id: null, owner_agent_id: null };
  const [scope] = segments;
  if (scope === undefined || segments.length === 1) return { ...none, is_container: true };
  // normalizeSegments refused any other first segment.
  if (!isScope(scope)) throw invalid(`unknown scope '${scope}'`, raw);
  switch (scope) {
    case 'resources':
      return { ...none, is_container: false };
    case 'session':
      requireId(segments[1] ?? '', raw);
      return { ...none, is_container: false };
    case 'user': {
      const o = ownersOfOwnedScope(segments, policy.isolate_user_scope_by_agent, 'agent', raw);
      return { owner_user_id: o.outer, owner_agent_id: o.innerId, is_container: o.is_container };
    }
    case 'agent': {
      const o = ownersOfOwnedScope(segments, policy.isolate_agent_scope_by_user, 'user', raw);
      return { owner_user_id: o.innerId, owner_agent_id: o.outer, is_container: o.is_container };
    }
  }
}

/**
 * Resolves a raw URI to its canonical form for `identity` under `policy`: normalise, expand shorthand,
 * check the shape. Pass `identity = null` for URIs that must already be canonical (index records).
 * @example resolveUri('viking://user/memories/x', {account_id:'acme', user_id:'alice', agent_id:'bot'}, DEFAULT_POLICY).uri
 *   // 'viking://user/alice/memories/x'
 */
export function resolveUri(raw: unknown, identity: Identity | null, policy: NamespacePolicy): ResolvedUri {
  const normalized = normalizeSegments(raw);
  const text = typeof raw === 'string' ? raw : '';
  const segments = expandShorthand(normalized, identity, policy, text);
  const owners = ownersOf(segments, policy, text);
  const uri = toUri(segments);
  if (Buffer.byteLength(uri, 'utf8') > MAX_URI_BYTES)
    throw invalid(`uri longer than ${MAX_URI_BYTES} bytes`, text);
  return Object.freeze({
    uri: uri as CanonicalUri,
    segments: Object.freeze(segments),
    scope: segments[0] !== undefined && isScope(segments[0]) ? segments[0] : null,
    ...owners,
  });
}

/** The weakest namespace policy: a URI canonical under any policy resolves under this one. */
const WEAKEST_POLICY: NamespacePolicy = Object.freeze({
  isolate_user_scope_by_agent: false,
  isolate_agent_scope_by_user: false,
});

/**
 * Whether `text` is a URI in canonical form — as {@link resolveUri} writes one under some policy:
 * normalised, no shorthand, a valid id wherever an owner is named. This is how a URI that was
 * canonical when stored (the index journal) or that is built from canonical parts regains its brand;
 * the isolating shapes of one policy are checked only by {@link resolveUri} with that policy.
 * @example isCanonicalUri('viking://resources/a') // true
 * @example isCanonicalUri('resources/a/') // false (canonical: 'viking://resources/a')
 */
export function isCanonicalUri(text: string): text is CanonicalUri {
  try {
    return resolveUri(text, null, WEAKEST_POLICY).uri === text;
  } catch (error) {
    if (error instanceof AppError && error.code === 'INVALID_URI') return false;
    throw error;
  }
}

/** `text` branded if {@link isCanonicalUri}; INVALID_URI otherwise. */
export function canonicalUri(text: string): CanonicalUri {
  if (isCanonicalUri(text)) return text;
  throw invalid('not a canonical uri', text);
}

/** Parent of a canonical URI, or null for the root. */
export function parentUri(resolved: ResolvedUri): string | null {
  if (resolved.segments.length === 0) return null;
  return toUri(resolved.segments.slice(0, -1));
}

/** Joins a child name onto a canonical URI (the result still has to be resolved). */
export function childUri(uri: string, name: string): string {
  return uri === URI_PREFIX ? URI_PREFIX + name : `${uri}/${name}`;
}

/** `context_type` of a record (SPEC 9.2). */
export function contextTypeOf(resolved: ResolvedUri): ContextType {
  if (resolved.scope === 'session') return 'session';
  const rest = resolved.segments.slice(1);
  if (rest.includes('memories')) return 'memory';
  if (rest.includes('skills')) return 'skill';
  return 'resource';
}
