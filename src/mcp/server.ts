/**
 * An MCP server bound to one request's identity: lists the tools of {@link ./tools.ts} and runs them
 * as that identity. Results are JSON text; failures are tool errors (`isError`) carrying our error
 * code, message and details, never a stack trace.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { AppError } from '../errors.js';
import { logger } from '../log.js';
import type { RequestContext } from '../policy/index.js';
import { toAppError } from '../to-app-error.js';
import { VERSION } from '../version.js';
import type { ToolDef } from './tools.js';

function text(value: unknown, isError = false): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(value) }], ...(isError ? { isError } : {}) };
}

function failure(error: unknown, tool: string): CallToolResult {
  const known = toAppError(error);
  if (known === undefined) logger.error({ err: error, tool }, 'mcp tool failed');
  const { code, message, details } = known ?? new AppError('INTERNAL', 'internal error');
  return text({ code, message, details }, true);
}

/** A server whose tools execute as `ctx` (one per request: the transport is stateless). */
export function mcpServerFor(ctx: RequestContext, tools: readonly ToolDef[]): McpServer {
  const server = new McpServer({ name: 'vikingscope', version: VERSION });
  for (const def of tools) {
    server.registerTool(
      def.name,
      { description: def.description, inputSchema: def.input, annotations: { readOnlyHint: def.readOnly } },
      async (args: Record<string, unknown>, extra) => {
        try {
          return text(await def.run(ctx, args, extra.signal));
        } catch (error) {
          return failure(error, def.name);
        }
      },
    );
  }
  return server;
}
