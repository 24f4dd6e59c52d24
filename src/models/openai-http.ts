/**
 * The one HTTP client of OpenAI-compatible model servers (SPEC 15): `POST {base}/{path}` with a JSON
 * body and an optional bearer key, a deadline per attempt, and retries with exponential backoff on
 * 429, 5xx and connection failures (honouring `Retry-After`). Every failure is an AppError naming
 * the setting to check, so an operator reads "EMBEDDING_BASE_URL … unreachable", never "fetch failed".
 */
import { AppError, errorNameOf, messageOf } from '../errors.js';

export interface ModelEndpoint {
  /** e.g. `http://127.0.0.1:11434/v1` (no trailing slash needed). */
  readonly baseUrl: string;
  readonly apiKey?: string | undefined;
  /** The variable that set `baseUrl`, named in errors (`EMBEDDING_BASE_URL`, `LLM_BASE_URL`). */
  readonly setting: string;
  /** Deadline of one attempt (default 60 s). */
  readonly timeoutMs?: number;
  /** Attempts in all, the first included (default 4). */
  readonly attempts?: number;
  /** First backoff (default 500 ms); doubled each retry, capped at 10 s. */
  readonly backoffMs?: number;
}

const MAX_BACKOFF_MS = 10_000;
/** Longest error text quoted from a model server (its body may be large or hold the prompt). */
const MAX_QUOTED = 300;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function urlOf(endpoint: ModelEndpoint, path: string): string {
  return `${endpoint.baseUrl.replace(/\/+$/, '')}/${path}`;
}

function retryAfterMs(header: string | null): number | null {
  if (header === null) return null;
  const seconds = Number(header);
  return Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds * 1000, MAX_BACKOFF_MS) : null;
}

function retryable(status: number): boolean {
  return status === 429 || status >= 500;
}

type Attempt = { ok: true; value: unknown } | { ok: false; retry: boolean; error: AppError; waitMs?: number };

async function attempt(endpoint: ModelEndpoint, url: string, body: unknown): Promise<Attempt> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (endpoint.apiKey !== undefined) headers.authorization = `Bearer ${endpoint.apiKey}`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(endpoint.timeoutMs ?? 60_000),
    });
  } catch (error) {
    // A DOMException, which may come from another realm: read its name, not its class.
    const timedOut = errorNameOf(error) === 'TimeoutError';
    const reason = timedOut ? 'did not answer in time' : `is unreachable (${messageOf(error)})`;
    return {
      ok: false,
      retry: true,
      error: new AppError(
        timedOut ? 'DEADLINE_EXCEEDED' : 'UNAVAILABLE',
        `${url} ${reason}; check ${endpoint.setting}`,
        {
          setting: endpoint.setting,
          url,
        },
      ),
    };
  }
  const text = await response.text().catch(() => '');
  if (!response.ok) {
    const error = new AppError(
      response.status === 401 || response.status === 403 ? 'FAILED_PRECONDITION' : 'UNAVAILABLE',
      `${url} answered ${response.status}: ${text.slice(0, MAX_QUOTED)}; check ${endpoint.setting}` +
        (response.status === 401 || response.status === 403 ? ' and its API key' : ''),
      { setting: endpoint.setting, url, status: response.status },
    );
    const waitMs = retryAfterMs(response.headers.get('retry-after'));
    return { ok: false, retry: retryable(response.status), error, ...(waitMs === null ? {} : { waitMs }) };
  }
  try {
    const value: unknown = JSON.parse(text);
    return { ok: true, value };
  } catch {
    const error = new AppError('UNAVAILABLE', `${url} answered something that is not JSON`, {
      setting: endpoint.setting,
      url,
    });
    return { ok: false, retry: false, error };
  }
}

/**
 * POSTs `body` as JSON to `{base}/{path}` and answers the parsed JSON, retrying what may pass.
 * @example await postJson({ baseUrl: 'http://127.0.0.1:11434/v1', setting: 'EMBEDDING_BASE_URL' }, 'embeddings', {...})
 */
export async function postJson(endpoint: ModelEndpoint, path: string, body: unknown): Promise<unknown> {
  const url = urlOf(endpoint, path);
  const attempts = Math.max(1, endpoint.attempts ?? 4);
  let backoff = endpoint.backoffMs ?? 500;
  for (let n = 1; ; n++) {
    const result = await attempt(endpoint, url, body);
    if (result.ok) return result.value;
    if (!result.retry || n >= attempts) throw result.error;
    await sleep(result.waitMs ?? backoff);
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
  }
}
