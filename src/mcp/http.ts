/**
 * `/mcp`: the MCP Streamable HTTP endpoint, stateless (every POST gets a fresh server and transport,
 * bound to the identity the auth middleware resolved from the same API keys and headers as /api/v1).
 * GET and DELETE answer 405: there are no sessions to stream to or end.
 */
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { contextOf } from '../http/context.js';
import { route } from '../http/openapi/route.js';
import { mcpServerFor } from './server.js';
import { mcpTools, type McpServices } from './tools.js';

const message = z.looseObject({
  jsonrpc: z.literal('2.0'),
  method: z.string().optional(),
  id: z.union([z.string(), z.number()]).optional(),
  params: z.unknown().optional(),
});
const rpcBody = z.union([message, z.array(message).min(1)]);

const tag = 'mcp';

/** The /mcp routes; `auth` authenticates like a tenant route of /api/v1. */
export function mcpRouter(services: McpServices, auth: RequestHandler): Router {
  const router = Router();
  const tools = mcpTools(services);
  const doc = {
    method: 'post',
    path: '/mcp',
    tag,
    // Tool calls may write (write, remember, add_message, forget).
    changes: true,
    summary: 'MCP Streamable HTTP endpoint (stateless; JSON-RPC 2.0)',
    description: `Tools: ${tools.map((t) => t.name).join(', ')}. Send \`Accept: application/json, text/event-stream\`.`,
    body: rpcBody,
    example: { body: { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} } },
  } as const;
  route(
    router,
    doc,
    async (req, res, input) => {
      const body = input.body();
      // No sessionIdGenerator: stateless, every request stands alone.
      const server = mcpServerFor(contextOf(req), tools);
      const transport = new StreamableHTTPServerTransport({ enableJsonResponse: true });
      res.on('close', () => {
        void transport.close();
        void server.close();
      });
      await server.connect(transport);
      await transport.handleRequest(req, res, body);
    },
    [auth],
  );
  for (const method of ['get', 'delete'] as const) {
    route(
      router,
      { method, path: '/mcp', tag, summary: 'Not supported (stateless server): 405' },
      (_req, res) => {
        res
          .status(405)
          .set('Allow', 'POST')
          .json({ jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed.' }, id: null });
      },
      [auth],
    );
  }
  return router;
}
