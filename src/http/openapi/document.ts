/**
 * The OpenAPI 3.1 document of the service, generated from the route declarations of
 * {@link ./route.ts}: paths, parameters and request bodies come from the zod schemas the routes parse
 * with (`z.toJSONSchema`), wrapped in the envelope (SPEC 12), with the API key security schemes and
 * identity headers (SPEC 5) and the error codes with their HTTP statuses.
 */
import { z } from 'zod';
import { ERROR_CODES, type ErrorCode } from '../../errors.js';
import { VERSION } from '../../version.js';
import { STATUS_OF } from '../errors.js';
import type { RouteDoc } from './route.js';

export interface MountedRoutes {
  /** Where the router is mounted (`/api/v1`, or `` for the top level). */
  readonly prefix: string;
  readonly routes: readonly RouteDoc[];
}

type Json = Record<string, unknown>;

const ID_PATTERN = '^[A-Za-z0-9_-]{1,128}$';

/** The JSON Schema of what a client sends (`io: 'input'`: before defaults and transforms). */
export function inputSchemaOf(schema: z.ZodType): Json {
  const json: Json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  delete json.$schema;
  return json;
}

/** The JSON Schema of what a route answers (`io: 'output'`: what the schema's values look like). */
function outputSchemaOf(schema: z.ZodType): Json {
  const json: Json = z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' });
  delete json.$schema;
  return json;
}

function ref(kind: 'schemas' | 'parameters' | 'responses', name: string): Json {
  return { $ref: `#/components/${kind}/${name}` };
}

const IDENTITY_HEADERS = {
  Account: [
    'X-OpenViking-Account',
    'Effective account (ROOT: required on tenant routes; keys: own account only).',
  ],
  User: [
    'X-OpenViking-User',
    'Effective user (ROOT: required on tenant routes; ADMIN: any user of its account).',
  ],
  Agent: ['X-OpenViking-Agent', 'Effective agent; `default` when absent.'],
  ActorPeer: ['X-OpenViking-Actor-Peer', 'OpenViking 0.4 spelling of the agent header.'],
} as const;

function components(): Json {
  const parameters = Object.fromEntries(
    Object.entries(IDENTITY_HEADERS).map(([key, [name, description]]) => [
      key,
      { name, in: 'header', required: false, description, schema: { type: 'string', pattern: ID_PATTERN } },
    ]),
  );
  const error = {
    type: 'object',
    required: ['code', 'message', 'details'],
    properties: {
      code: { type: 'string', enum: [...ERROR_CODES] },
      message: { type: 'string' },
      details: { type: 'object', additionalProperties: true },
    },
  };
  const errorEnvelope = {
    type: 'object',
    required: ['status', 'result', 'error'],
    properties: { status: { const: 'error' }, result: { type: 'null' }, error: ref('schemas', 'Error') },
    example: {
      status: 'error',
      result: null,
      error: { code: 'INVALID_URI', message: 'unknown scope', details: { uri: 'viking://tmp/x' } },
    },
  };
  const responses = Object.fromEntries(
    ERROR_CODES.map((code) => [
      code,
      {
        description: `${code} (HTTP ${STATUS_OF[code]})`,
        content: { 'application/json': { schema: ref('schemas', 'ErrorEnvelope') } },
      },
    ]),
  );
  return {
    securitySchemes: {
      ApiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      Bearer: { type: 'http', scheme: 'bearer', description: '`Authorization: Bearer <key>`' },
    },
    parameters,
    schemas: { Error: error, ErrorEnvelope: errorEnvelope },
    responses,
  };
}

/** The success envelope's optional `warnings` (src/http/warnings.ts). */
const WARNINGS = {
  type: 'array',
  items: { type: 'string' },
  description:
    "Present only when there is something to say: an unknown body field that looks like a known one was ignored (\"unknown field 'limt' ignored; did you mean 'limit'?\").",
};

function okEnvelope(doc: RouteDoc): Json {
  if (doc.response !== undefined) return outputSchemaOf(doc.response);
  const result = doc.result === undefined ? {} : outputSchemaOf(doc.result);
  return {
    type: 'object',
    required: ['status', 'result', 'error'],
    properties: { status: { const: 'ok' }, result, error: { type: 'null' }, warnings: WARNINGS },
  };
}

/** A mounted route's full path (a router's `/` is its mount point itself, as express matches it). */
function joinPath(prefix: string, path: string): string {
  return path === '/' && prefix !== '' ? prefix : prefix + path;
}

/** `/sessions/:id` → `/sessions/{id}`. */
export function openApiPath(expressPath: string): string {
  return expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function pathParameters(path: string): Json[] {
  return [...path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => ({
    name: m[1],
    in: 'path',
    required: true,
    schema: { type: 'string', pattern: ID_PATTERN },
  }));
}

function queryParameters(doc: RouteDoc): Json[] {
  if (doc.query === undefined) return [];
  const schema = inputSchemaOf(doc.query);
  const properties = (schema.properties ?? {}) as Record<string, Json>;
  const required = new Set((schema.required ?? []) as string[]);
  const example = (doc.example?.query ?? {}) as Record<string, unknown>;
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: 'query',
    required: required.has(name),
    schema: property,
    ...(example[name] === undefined ? {} : { example: example[name] }),
  }));
}

function headerParameters(access: RouteDoc['access']): Json[] {
  return access === 'public' ? [] : Object.keys(IDENTITY_HEADERS).map((key) => ref('parameters', key));
}

/** Error codes every route of an access class can answer (others may answer more: see `default`). */
function errorResponses(access: RouteDoc['access']): Json {
  const codes: readonly ErrorCode[] =
    access === 'public' ? [] : ['INVALID_ARGUMENT', 'UNAUTHENTICATED', 'PERMISSION_DENIED'];
  const listed = Object.fromEntries(codes.map((code) => [String(STATUS_OF[code]), ref('responses', code)]));
  return {
    ...listed,
    default: {
      description: 'Any error, in the error envelope (codes and statuses in the document description).',
      content: { 'application/json': { schema: ref('schemas', 'ErrorEnvelope') } },
    },
  };
}

/** `post` `/api/v1/sessions/:id/messages` → `postApiV1SessionsIdMessages` (what generators name methods). */
function operationId(method: string, path: string): string {
  return method + path.replace(/[^A-Za-z0-9]+(.)?/g, (_match, next?: string) => (next ?? '').toUpperCase());
}

/** A multipart upload of one file in form field `field` (so generated clients and "Try it out" can send it). */
function uploadBody(field: string): Json {
  const schema = {
    type: 'object',
    properties: { [field]: { type: 'string', format: 'binary' } },
    required: [field],
  };
  return { requestBody: { required: true, content: { 'multipart/form-data': { schema } } } };
}

function operation(prefix: string, doc: RouteDoc): Json {
  const access = doc.access ?? 'tenant';
  const success =
    doc.produces === undefined
      ? { 'application/json': { schema: okEnvelope(doc) } }
      : { [doc.produces]: { schema: { type: 'string' } } };
  const body =
    doc.upload !== undefined
      ? uploadBody(doc.upload)
      : doc.body === undefined
        ? {}
        : {
            requestBody: {
              // Bodies whose schema accepts nothing at all (create session, commit) are optional.
              required: !doc.body.safeParse(undefined).success,
              content: {
                'application/json': {
                  schema: inputSchemaOf(doc.body),
                  ...(doc.example?.body === undefined ? {} : { example: doc.example.body }),
                },
              },
            },
          };
  return {
    operationId: operationId(doc.method, joinPath(prefix, doc.path)),
    tags: [doc.tag],
    summary: doc.summary,
    ...(doc.description === undefined ? {} : { description: doc.description }),
    security: access === 'public' ? [] : [{ ApiKey: [] }, { Bearer: [] }],
    parameters: [...pathParameters(doc.path), ...queryParameters(doc), ...headerParameters(access)],
    ...body,
    responses: { '200': { description: 'Success', content: success }, ...errorResponses(access) },
  };
}

const DESCRIPTION = [
  'Multi-tenant context store for AI agents. Every JSON answer is an envelope:',
  '`{"status": "ok", "result": ..., "error": null}` (plus `"warnings": [...]` when an unknown body field',
  'that looks like a known one was ignored) or',
  '`{"status": "error", "result": null, "error": {"code", "message", "details"}}`.',
  '',
  '| code | HTTP status |',
  '| --- | --- |',
  ...ERROR_CODES.map((code) => `| ${code} | ${STATUS_OF[code]} |`),
].join('\n');

/** The OpenAPI 3.1 document of the routes mounted as listed. */
export function openApiDocument(mounted: readonly MountedRoutes[]): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const { prefix, routes } of mounted) {
    for (const doc of routes) {
      const path = openApiPath(joinPath(prefix, doc.path));
      paths[path] = { ...paths[path], [doc.method]: operation(prefix, doc) };
    }
  }
  return {
    openapi: '3.1.0',
    info: { title: 'VikingScope', version: VERSION, description: DESCRIPTION },
    servers: [{ url: '/' }],
    paths,
    components: components(),
  };
}
