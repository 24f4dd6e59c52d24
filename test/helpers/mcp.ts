/**
 * MCP test clients: the SDK's own client over a real transport — Streamable HTTP against the app
 * listening on a local port, or stdio against the `vikingscope-mcp` entry — and tool calls decoded
 * into `{ ok, result }` or `{ ok: false, error }` (our error code, message and details).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { Express } from 'express';
import { z } from 'zod';

export interface Listening {
  readonly url: string;
  close(): Promise<void>;
}

/** Serves `app` on an ephemeral loopback port. */
export function listen(app: Express): Promise<Listening> {
  return new Promise((resolve, reject) => {
    const server: Server = app.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
    server.once('error', reject);
  });
}

/** A connected SDK client. */
export async function connect(transport: Transport): Promise<Client> {
  const client = new Client({ name: 'vikingscope-tests', version: '0' });
  await client.connect(transport);
  return client;
}

/** An SDK client of `${url}/mcp` sending these headers on every request. */
export function httpClient(url: string, headers: Record<string, string>): Promise<Client> {
  return connect(new StreamableHTTPClientTransport(new URL('/mcp', url), { requestInit: { headers } }));
}

export type ToolOutcome =
  | { readonly ok: true; readonly result: unknown }
  | { readonly ok: false; readonly error: { code: string; message: string; details: unknown } };

const toolText = z.object({
  content: z.array(z.object({ type: z.literal('text'), text: z.string() })).length(1),
  isError: z.boolean().optional(),
});
const errorShape = z.object({ code: z.string(), message: z.string(), details: z.unknown() });

/** Calls a tool and decodes its JSON text result. */
export async function call(
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
): Promise<ToolOutcome> {
  const raw = toolText.parse(await client.callTool({ name, arguments: args }));
  const text = raw.content[0]?.text ?? '';
  if (raw.isError === true) {
    // The SDK itself answers arguments that fail the tool's input schema, in plain text.
    if (!text.startsWith('{'))
      return { ok: false, error: { code: 'MCP_INVALID_PARAMS', message: text, details: {} } };
    return { ok: false, error: errorShape.parse(JSON.parse(text)) };
  }
  return { ok: true, result: JSON.parse(text) as unknown };
}

/** The result of a tool call that must succeed. */
export async function callOk(
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
): Promise<unknown> {
  const outcome = await call(client, name, args);
  if (!outcome.ok) throw new Error(`${name} failed: ${JSON.stringify(outcome.error)}`);
  return outcome.result;
}
