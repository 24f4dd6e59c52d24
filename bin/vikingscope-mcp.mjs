#!/usr/bin/env node
// `npx vikingscope-mcp`: the VikingScope MCP server for desktop clients that only speak stdio. It relays
// JSON-RPC messages between stdin/stdout and the server's Streamable HTTP endpoint
// (`$VIKINGSCOPE_URL/mcp`), sending `VIKINGSCOPE_API_KEY` as a Bearer key, so every tool runs on the
// server as that key's identity. Plain JavaScript on purpose: it runs from a fresh clone with no build.
// Optional identity headers: VIKINGSCOPE_ACCOUNT, VIKINGSCOPE_USER, VIKINGSCOPE_AGENT.
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';

const HEADERS = {
  VIKINGSCOPE_ACCOUNT: 'X-OpenViking-Account',
  VIKINGSCOPE_USER: 'X-OpenViking-User',
  VIKINGSCOPE_AGENT: 'X-OpenViking-Agent',
};

function fail(message) {
  process.stderr.write(`vikingscope-mcp: ${message}\n`);
  process.exit(2);
}

function requestHeaders(env) {
  const headers = {};
  if (env.VIKINGSCOPE_API_KEY) headers.Authorization = `Bearer ${env.VIKINGSCOPE_API_KEY}`;
  for (const [variable, header] of Object.entries(HEADERS))
    if (env[variable]) headers[header] = env[variable];
  return headers;
}

function endpoint(env) {
  const base = env.VIKINGSCOPE_URL || 'http://127.0.0.1:1933';
  try {
    return new URL('mcp', base.endsWith('/') ? base : `${base}/`);
  } catch {
    return fail(`VIKINGSCOPE_URL is not a URL: ${base}`);
  }
}

/**
 * The relay's account of a failed request: an unreachable server is named by its URL (fetch only
 * says "fetch failed"), and the server's demand for identity headers is translated into this
 * relay's variables, which are what its user sets.
 */
function explain(error, url) {
  const text = error instanceof Error ? error.message : String(error);
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : undefined;
  if (text === 'fetch failed' || cause?.code !== undefined) {
    const reason = cause?.code ?? cause?.message ?? text;
    return `cannot reach the VikingScope server at ${url} (${reason}): start it (npm start) or set VIKINGSCOPE_URL`;
  }
  if (/X-OpenViking-(Account|User)/.test(text)) {
    return `${text} (vikingscope-mcp sends VIKINGSCOPE_ACCOUNT and VIKINGSCOPE_USER as these headers: set them)`;
  }
  return text;
}

const url = endpoint(process.env);
const remote = new StreamableHTTPClientTransport(url, {
  requestInit: { headers: requestHeaders(process.env) },
});
const local = new StdioServerTransport();

// A request the server could not answer (unreachable, 401, 403…) still gets a JSON-RPC answer.
local.onmessage = (message) => {
  remote.send(message).catch((error) => {
    if (message.id === undefined) return;
    void local.send({
      jsonrpc: '2.0',
      id: message.id,
      error: { code: -32000, message: explain(error, url) },
    });
  });
};
remote.onmessage = (message) => {
  // The negotiated version goes on every later request, as the SDK's own client does after initialize.
  const version = message.result?.protocolVersion;
  if (typeof version === 'string') remote.setProtocolVersion(version);
  void local.send(message);
};
remote.onerror = (error) => process.stderr.write(`vikingscope-mcp: ${explain(error, url)}\n`);
local.onclose = () => void remote.close().finally(() => process.exit(0));

await remote.start();
await local.start();
