/**
 * The stall benchmark's HTTP client: every request on a fresh connection (no keep-alive), so a
 * server that stops accepting or answering shows in the figures, with a per-request deadline.
 */
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';

export interface Tenant {
  readonly key: string;
  /** A label for reports. */
  readonly name: string;
}

export interface Answer {
  /** 0: no answer (connection error or deadline). */
  readonly status: number;
  readonly body: unknown;
  readonly ms: number;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** One JSON request; never throws (a failure is status 0). */
export function send(
  base: string,
  tenant: Tenant | null,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  timeoutMs = 120_000,
): Promise<Answer> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return sendJson(base, tenant, method, path, payload, timeoutMs);
}

/**
 * {@link send} with the body already serialised (a large body serialised once beforehand, so this
 * process is not busy with it while the probes' answers arrive).
 */
export function sendJson(
  base: string,
  tenant: Tenant | null,
  method: 'GET' | 'POST',
  path: string,
  payload: string | undefined,
  timeoutMs = 120_000,
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (tenant !== null) headers['X-API-Key'] = tenant.key;
  if (payload !== undefined) headers['Content-Type'] = 'application/json';
  const started = performance.now();
  return new Promise((resolve) => {
    const req = request(`${base}${path}`, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, body: parse(text), ms: performance.now() - started });
      });
      res.on('error', () => resolve({ status: 0, body: null, ms: performance.now() - started }));
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error('deadline')));
    req.on('error', (error) => resolve({ status: 0, body: error.message, ms: performance.now() - started }));
    req.end(payload);
  });
}

/** Uploads bytes as a temporary file (multipart), returning its temp_file_id. */
export async function upload(base: string, tenant: Tenant, name: string, bytes: Uint8Array): Promise<string> {
  const form = new FormData();
  form.append('file', new Blob([bytes]), name);
  const res = await fetch(`${base}/api/v1/resources/temp_upload`, {
    method: 'POST',
    headers: { 'X-API-Key': tenant.key },
    body: form,
  });
  const answer = (await res.json()) as { result?: { temp_file_id?: string } };
  const id = answer.result?.temp_file_id;
  if (id === undefined) throw new Error(`upload ${name}: ${res.status} ${JSON.stringify(answer)}`);
  return id;
}
