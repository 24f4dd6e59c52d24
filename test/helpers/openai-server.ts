/**
 * A local OpenAI-compatible model server for tests (no network): `POST /v1/embeddings` answers the
 * built-in embedder's vectors (so search over them behaves), `POST /v1/chat/completions` answers
 * what the test's `chat` function returns. Tests can queue failures (a status, or a hang) and read
 * every request it received.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBuiltinEmbedder } from '../../src/embedders/builtin.js';

export interface ChatRequest {
  model: string;
  messages: { role: string; content: string }[];
  response_format?: { type: string };
}

export interface FakeModelServer {
  readonly baseUrl: string;
  readonly requests: { path: string; body: unknown; authorization: string | undefined }[];
  /** The next requests (any path) answer these statuses, in order; 'hang' never answers. */
  failures: (number | 'hang')[];
  /** Vector length to answer (default: the built-in 384); a change mid-run mimics a swapped model. */
  dimension: number | null;
  chat: (request: ChatRequest) => string;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startFakeModelServer(): Promise<FakeModelServer> {
  const builtin = createBuiltinEmbedder();
  const hanging = new Set<() => void>();
  const server: Server = createServer((req, res) => {
    void (async () => {
      const text = await readBody(req);
      const body = JSON.parse(text) as Record<string, unknown>;
      fake.requests.push({ path: req.url ?? '', body, authorization: req.headers.authorization });
      const failure = fake.failures.shift();
      if (failure === 'hang') {
        hanging.add(() => res.destroy());
        return;
      }
      if (failure !== undefined) {
        res.writeHead(failure, { 'content-type': 'application/json', 'retry-after': '0' });
        res.end(JSON.stringify({ error: { message: `injected ${failure}` } }));
        return;
      }
      res.setHeader('content-type', 'application/json');
      if (req.url === '/v1/embeddings') {
        const input = body.input as string[];
        const vectors = await builtin.embed(input);
        const data = vectors.map((v, index) => ({
          object: 'embedding',
          index,
          embedding: Array.from(fake.dimension === null ? v : v.slice(0, fake.dimension)),
        }));
        // Reversed on purpose: clients must place vectors by `index`, not by position.
        res.end(JSON.stringify({ object: 'list', data: data.reverse(), model: body.model }));
        return;
      }
      if (req.url === '/v1/chat/completions') {
        const content = fake.chat(body as unknown as ChatRequest);
        res.end(JSON.stringify({ choices: [{ index: 0, message: { role: 'assistant', content } }] }));
        return;
      }
      res.writeHead(404).end('{}');
    })();
  });
  const fake: FakeModelServer = {
    baseUrl: '',
    requests: [],
    failures: [],
    dimension: null,
    chat: () => '{"memories": []}',
    close: () =>
      new Promise((resolve) => {
        for (const end of hanging) end();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, { baseUrl: `http://127.0.0.1:${port}/v1` });
}
