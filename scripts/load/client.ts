/**
 * The load script's HTTP client: keep-alive JSON requests to the server, every answer tallied by the
 * kind of client that sent it (2xx, 429, 503, other 5xx, other 4xx, connection errors), and the
 * server's 429/503 `Retry-After` honoured: the client sleeps that long and sends the request again.
 */
import { Agent, request as httpRequest } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

export type ClientKind = 'preload' | 'writer' | 'session' | 'searcher' | 'probe' | 'check';

export interface Tally {
  ok: number;
  s429: number;
  s503: number;
  s5xx: number;
  s4xx: number;
  errors: number;
  /** Requests sent again after a 429/503. */
  retries: number;
}

export interface Answer {
  readonly status: number;
  readonly body: unknown;
  /** Milliseconds of the last attempt. */
  readonly ms: number;
}

export interface Caller {
  readonly key: string;
  readonly account?: string;
  readonly user?: string;
  readonly agent?: string;
}

export interface CallOptions {
  /** No retry past this time (performance.now()): the 429/503 is returned at that time instead. */
  readonly until?: number;
}

const emptyTally = (): Tally => ({ ok: 0, s429: 0, s503: 0, s5xx: 0, s4xx: 0, errors: 0, retries: 0 });

export class Api {
  readonly tallies = new Map<ClientKind, Tally>();
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 128 });

  constructor(private readonly base: string) {}

  tally(kind: ClientKind): Tally {
    let tally = this.tallies.get(kind);
    if (tally === undefined) this.tallies.set(kind, (tally = emptyTally()));
    return tally;
  }

  /** One request, sent again after each 429/503 once the server's Retry-After has passed. */
  async call(
    kind: ClientKind,
    caller: Caller,
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    options: CallOptions = {},
  ): Promise<Answer> {
    const tally = this.tally(kind);
    for (;;) {
      const answer = await this.once(caller, method, path, body).catch(() => null);
      if (answer === null) {
        tally.errors += 1;
        return { status: 0, body: null, ms: 0 };
      }
      const { status } = answer;
      if (status === 429 || status === 503) {
        if (status === 429) tally.s429 += 1;
        else tally.s503 += 1;
        // No retry would be answered before `until`: wait it out (never spin) and hand the refusal back.
        if (options.until !== undefined && performance.now() + answer.retryAfterS * 1000 > options.until) {
          await sleep(Math.max(0, options.until - performance.now()));
          return answer;
        }
        tally.retries += 1;
        await sleep(answer.retryAfterS * 1000);
        continue;
      }
      if (status >= 200 && status < 300) tally.ok += 1;
      else if (status >= 500) tally.s5xx += 1;
      else tally.s4xx += 1;
      return answer;
    }
  }

  close(): void {
    this.agent.destroy();
  }

  private once(
    caller: Caller,
    method: string,
    path: string,
    body: unknown,
  ): Promise<Answer & { retryAfterS: number }> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { 'X-API-Key': caller.key };
    if (caller.account !== undefined) headers['X-OpenViking-Account'] = caller.account;
    if (caller.user !== undefined) headers['X-OpenViking-User'] = caller.user;
    if (caller.agent !== undefined) headers['X-OpenViking-Agent'] = caller.agent;
    if (payload !== undefined) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(payload));
    }
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const req = httpRequest(`${this.base}${path}`, { method, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const retryAfter = Number(res.headers['retry-after']);
          resolve({
            status: res.statusCode ?? 0,
            body: parseBody(text),
            ms: performance.now() - started,
            retryAfterS: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : 1,
          });
        });
      });
      req.on('error', reject);
      req.end(payload);
    });
  }
}

function parseBody(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The p-th percentile (0–100) of `samples`, nearest rank; NaN when there are none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}
