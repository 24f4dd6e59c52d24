/**
 * An HTTP client speaking exactly the wire format of OpenViking's 0.4 Python SDK
 * (sdk/python/openviking_sdk/client.py on OpenViking's main branch): `X-API-Key`,
 * `X-OpenViking-Account`, `X-OpenViking-User` and the agent as `X-OpenViking-Actor-Peer` (never
 * `X-OpenViking-Agent`); `peer_id` on messages; `messages/batch`; `archives/{archive_id}`; and the
 * extra fields it sends (`telemetry`, `tags`, `filter`, ...). It talks to a listening server with
 * fetch and returns status and envelope.
 */
import { z } from 'zod';

export interface Ov04Identity {
  readonly url: string;
  readonly apiKey: string;
  readonly account: string;
  readonly user: string;
  /** `actor_peer_id` of the SDK's config: the agent. */
  readonly actorPeer: string;
}

const envelope = z.object({
  status: z.string(),
  result: z.unknown(),
  error: z.object({ code: z.string(), message: z.string() }).nullable().optional(),
});

export interface Ov04Response {
  readonly status: number;
  readonly result: unknown;
  readonly code: string | null;
}

/** The SDK drops None-valued keys before sending (`_compact_request_body`). */
function compact(body: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined && v !== null));
}

export class Ov04Client {
  constructor(private readonly id: Ov04Identity) {}

  private async request(method: string, path: string, body?: unknown): Promise<Ov04Response> {
    const headers: Record<string, string> = {
      'X-API-Key': this.id.apiKey,
      'X-OpenViking-Account': this.id.account,
      'X-OpenViking-User': this.id.user,
      'X-OpenViking-Actor-Peer': this.id.actorPeer,
    };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(`${this.id.url}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const parsed = envelope.parse(await res.json());
    return { status: res.status, result: parsed.result, code: parsed.error?.code ?? null };
  }

  write(uri: string, content: string): Promise<Ov04Response> {
    return this.request('POST', '/api/v1/content/write', {
      uri,
      content,
      mode: 'replace',
      wait: true,
      timeout: null,
      telemetry: false,
    });
  }

  ls(uri: string): Promise<Ov04Response> {
    return this.request('GET', `/api/v1/fs/ls?${new URLSearchParams({ uri, simple: 'true' }).toString()}`);
  }

  read(uri: string): Promise<Ov04Response> {
    return this.request('GET', `/api/v1/content/read?${new URLSearchParams({ uri }).toString()}`);
  }

  find(query: string, options: { target_uri?: string; tags?: string[]; filter?: object } = {}) {
    return this.request(
      'POST',
      '/api/v1/search/find',
      compact({
        query,
        image_url: null,
        target_uri: options.target_uri ?? '',
        limit: 10,
        score_threshold: null,
        filter: options.filter,
        context_type: null,
        tags: options.tags,
        telemetry: false,
      }),
    );
  }

  addMessage(session: string, role: string, content: string, peer_id?: string): Promise<Ov04Response> {
    return this.request(
      'POST',
      `/api/v1/sessions/${encodeURIComponent(session)}/messages`,
      compact({ role, content, peer_id }),
    );
  }

  batchAddMessages(session: string, messages: readonly object[]): Promise<Ov04Response> {
    return this.request('POST', `/api/v1/sessions/${encodeURIComponent(session)}/messages/batch`, {
      messages,
    });
  }

  commit(session: string): Promise<Ov04Response> {
    return this.request('POST', `/api/v1/sessions/${encodeURIComponent(session)}/commit`, {
      keep_recent_count: 0,
      telemetry: false,
    });
  }

  getSession(session: string): Promise<Ov04Response> {
    return this.request('GET', `/api/v1/sessions/${encodeURIComponent(session)}`);
  }

  getArchive(session: string, archive: string): Promise<Ov04Response> {
    return this.request(
      'GET',
      `/api/v1/sessions/${encodeURIComponent(session)}/archives/${encodeURIComponent(archive)}`,
    );
  }

  wait(): Promise<Ov04Response> {
    return this.request('POST', '/api/v1/system/wait', { timeout: null });
  }
}
