/**
 * The OpenAPI document (issue 15): every route the express app answers is in it (found by walking
 * the router, not our registry), every documented example parses with the schema its route parses
 * with, and the envelope, error codes and auth schemes are described. /docs works offline.
 */
import express, { Router } from 'express';
import request from 'supertest';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import { z } from 'zod';
import { ERROR_CODES } from '../../src/errors.js';
import { openApiPath } from '../../src/http/openapi/document.js';
import { route, routesOf, type RouteDoc } from '../../src/http/openapi/route.js';
import { expressRoutes } from '../helpers/express-routes.js';
import { fullApp, type FullApp } from '../helpers/full-app.js';

let env: FullApp;
let document: {
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components: Record<string, unknown>;
};

beforeAll(async () => {
  env = await fullApp();
  const res = await request(env.app).get('/openapi.json').expect(200);
  document = res.body as typeof document;
});
afterAll(() => env.close());

/** Routes the app answers that the document lacks. */
function undocumented(app: express.Express, doc: typeof document): string[] {
  return expressRoutes(app)
    .routes.filter((r) => doc.paths[openApiPath(r.path)]?.[r.method] === undefined)
    .map((r) => `${r.method.toUpperCase()} ${r.path}`);
}

function declaredRoutes(): RouteDoc[] {
  return expressRoutes(env.app).routers.flatMap((router) => [...routesOf(router)]);
}

describe('the router walk', () => {
  test('finds a route added without the helper (so a missing route fails the check below)', () => {
    const app = express();
    const router = Router();
    route(router, { method: 'get', path: '/documented', tag: 't', summary: 's' }, (_req, res) => res.end());
    router.post('/sneaky/:id', (_req, res) => res.end());
    app.use('/api/v1', router);
    const doc = { paths: { '/api/v1/documented': { get: {} } }, components: {} };
    expect(undocumented(app, doc)).toEqual(['POST /api/v1/sneaky/:id']);
  });

  test('every route of the full app is in the document', () => {
    const found = expressRoutes(env.app).routes;
    // The walk sees the whole API, so an empty check cannot pass by accident.
    expect(found.length).toBeGreaterThan(30);
    expect(found).toEqual(
      expect.arrayContaining([{ method: 'post', path: '/api/v1/sessions/:id/messages' }]),
    );
    expect(undocumented(env.app, document)).toEqual([]);
  });

  test('operation ids are unique (code generators name methods after them)', () => {
    const ids = Object.values(document.paths).flatMap((methods) =>
      Object.values(methods).map((op) => op.operationId as string),
    );
    expect(ids).toContain('postApiV1SessionsIdMessages');
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('examples', () => {
  const cases = () =>
    declaredRoutes().flatMap((doc) =>
      (['query', 'body'] as const)
        .filter((part) => doc.example?.[part] !== undefined)
        .map((part) => ({ doc, part, schema: doc[part], example: doc.example?.[part] })),
    );

  test('every documented example parses with the schema its route parses with', () => {
    const all = cases();
    expect(all.length).toBeGreaterThan(20);
    for (const { doc, part, schema, example } of all) {
      expect({ route: `${doc.method} ${doc.path}`, part, hasSchema: schema !== undefined }).toEqual({
        route: `${doc.method} ${doc.path}`,
        part,
        hasSchema: true,
      });
      const parsed = (schema as z.ZodType).safeParse(example);
      expect({ route: `${doc.method} ${doc.path}`, part, issues: parsed.error?.issues ?? [] }).toEqual({
        route: `${doc.method} ${doc.path}`,
        part,
        issues: [],
      });
    }
  });

  test('every example also validates against the JSON Schema in the document (what generators read)', () => {
    const ajv = new AjvJsonSchemaValidator();
    const check = (where: string, schema: unknown, value: unknown) => {
      const outcome = ajv.getValidator(schema as Parameters<typeof ajv.getValidator>[0])(value);
      expect({ where, error: outcome.valid ? null : outcome.errorMessage }).toEqual({ where, error: null });
    };
    let checked = 0;
    for (const [path, methods] of Object.entries(document.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        const body = (
          op.requestBody as { content: Record<string, { schema: unknown; example?: unknown }> } | undefined
        )?.content['application/json'];
        if (body?.example !== undefined) {
          check(`${method} ${path} body`, body.schema, body.example);
          checked++;
        }
        for (const param of op.parameters as { name?: string; schema?: unknown; example?: unknown }[]) {
          if (param.example === undefined) continue;
          check(`${method} ${path} ?${param.name ?? ''}`, param.schema, param.example);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(20);
  });

  test('a broken example would be caught', () => {
    const writeBody = declaredRoutes().find((d) => d.path === '/content/write')?.body;
    expect(writeBody?.safeParse({ uri: 'viking://resources/a.md' }).success).toBe(false);
  });

  test('the document carries the examples and the request schemas', () => {
    const write = document.paths['/api/v1/content/write']?.post as {
      requestBody: { content: { 'application/json': { schema: { required: string[] }; example: unknown } } };
    };
    const json = write.requestBody.content['application/json'];
    expect(json.schema.required).toEqual(expect.arrayContaining(['uri', 'content']));
    expect(json.example).toMatchObject({ uri: 'viking://resources/notes/today.md' });
    const ls = document.paths['/api/v1/fs/ls']?.get as {
      parameters: { name?: string; in?: string; required?: boolean }[];
    };
    expect(ls.parameters).toEqual(
      expect.arrayContaining([
        {
          name: 'uri',
          in: 'query',
          required: true,
          schema: expect.anything(),
          example: 'viking://resources',
        },
      ]),
    );
    // Issue 28: the upload's multipart body is described, so generated clients and "Try it out" can send it.
    expect(document.paths['/api/v1/resources/temp_upload']?.post).toMatchObject({
      requestBody: {
        required: true,
        content: {
          'multipart/form-data': {
            schema: {
              type: 'object',
              properties: { file: { type: 'string', format: 'binary' } },
              required: ['file'],
            },
          },
        },
      },
    });
    const session = document.paths['/api/v1/sessions/{id}']?.get as {
      parameters: { name?: string; in?: string }[];
    };
    expect(session.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'id', in: 'path' })]),
    );
  });
});

describe('envelope, errors and auth', () => {
  test('OpenAPI 3.1 with the error envelope and every error code', () => {
    const doc = document as unknown as {
      openapi: string;
      components: { schemas: Record<string, { properties: Record<string, { enum?: string[] }> }> };
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.schemas.Error?.properties.code?.enum).toEqual([...ERROR_CODES]);
    const read = document.paths['/api/v1/content/read']?.get as { responses: Record<string, unknown> };
    expect(read.responses['200']).toMatchObject({
      content: {
        'application/json': { schema: { properties: { status: { const: 'ok' }, error: { type: 'null' } } } },
      },
    });
    expect(read.responses['401']).toEqual({ $ref: '#/components/responses/UNAUTHENTICATED' });
  });

  test('key routes name both API key schemes and the identity headers; public routes need none', () => {
    expect(document.components.securitySchemes).toEqual({
      ApiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      Bearer: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
    });
    const find = document.paths['/api/v1/search/find']?.post as { security: unknown; parameters: unknown[] };
    expect(find.security).toEqual([{ ApiKey: [] }, { Bearer: [] }]);
    expect(find.parameters).toEqual(
      expect.arrayContaining([
        { $ref: '#/components/parameters/Account' },
        { $ref: '#/components/parameters/User' },
        { $ref: '#/components/parameters/Agent' },
      ]),
    );
    expect(document.paths['/health']?.get?.security).toEqual([]);
    expect(document.paths['/mcp']?.post).toBeDefined();
  });
});

describe('/docs', () => {
  test('serves Swagger UI and its assets from this server, pointing at /openapi.json', async () => {
    const page = await request(env.app).get('/docs').expect(200).expect('Content-Type', /html/);
    const html = page.text;
    // The page's script is a file of its own (the CSP allows no inline script).
    const init = await request(env.app).get('/docs/init.js').expect(200);
    expect(init.text).toContain("url: '/openapi.json'");
    // No asset comes from elsewhere: every src/href is a path on this server.
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] ?? '');
    expect(refs.length).toBeGreaterThan(1);
    for (const ref of refs) {
      expect(ref.startsWith('/docs/')).toBe(true);
      await request(env.app).get(ref).expect(200);
    }
  });
});
