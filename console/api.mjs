/* global sessionStorage, fetch, location */
/**
 * The console's only way to the data: /api/v1 with the signed-in key and identity headers. The key
 * lives in sessionStorage (gone when the tab closes) and is sent as a header, never in a URL.
 */

const STORE = 'vikingscope.console';

/** `{key, account?, user?, agent?}` of this tab, or null before sign-in. */
export function credentials() {
  try {
    const value = JSON.parse(sessionStorage.getItem(STORE) ?? 'null');
    return value !== null && typeof value.key === 'string' ? value : null;
  } catch {
    return null;
  }
}

export function saveCredentials(value) {
  sessionStorage.setItem(STORE, JSON.stringify(value));
}

export function clearCredentials() {
  sessionStorage.removeItem(STORE);
}

/** An error envelope (or a transport failure, code `NETWORK`). */
export class ApiError extends Error {
  constructor(status, code, message, details = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

function headersOf(creds, hasBody) {
  const headers = { Accept: 'application/json', 'X-API-Key': creds?.key ?? '' };
  if (creds?.account) headers['X-OpenViking-Account'] = creds.account;
  if (creds?.user) headers['X-OpenViking-User'] = creds.user;
  if (creds?.agent) headers['X-OpenViking-Agent'] = creds.agent;
  if (hasBody) headers['Content-Type'] = 'application/json';
  return headers;
}

/**
 * Calls the API and returns the envelope's `result`; throws {@link ApiError} otherwise.
 * `api('GET', '/api/v1/fs/ls', { query: { uri } })`, `api('POST', path, { body })`.
 */
export async function api(method, path, { query = {}, body } = {}) {
  const url = new URL(path, location.origin);
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, String(value));
  let res;
  try {
    res = await fetch(url, {
      method,
      headers: headersOf(credentials(), body !== undefined),
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch (error) {
    throw new ApiError(0, 'NETWORK', `the server did not answer (${String(error)})`);
  }
  const envelope = await res.json().catch(() => null);
  if (res.ok && envelope?.status === 'ok') return envelope.result;
  const error = envelope?.error ?? {};
  throw new ApiError(
    res.status,
    error.code ?? 'HTTP_' + res.status,
    error.message ?? res.statusText,
    error.details,
  );
}

/** `/api/v1/admin/accounts/{id}/…` with every id encoded. */
export function adminPath(...segments) {
  return ['/api/v1/admin', ...segments.map((s) => encodeURIComponent(s))].join('/');
}
