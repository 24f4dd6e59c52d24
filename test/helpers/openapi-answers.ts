/**
 * Checks real answers against the OpenAPI document's JSON Schema of a route's 200 answer, as a
 * generated client would read them (test/http/openapi-results*.test.ts).
 */
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type { Express } from 'express';
import request from 'supertest';
import { openApiPath } from '../../src/http/openapi/document.js';

type Operation = { responses: Record<string, { content?: Record<string, { schema: unknown }> }> };
type JsonSchema = Parameters<AjvJsonSchemaValidator['getValidator']>[0];

export interface DocumentedAnswers {
  /** The documented `result` schema of a route (`route` in express syntax). */
  resultSchema(method: string, route: string): unknown;
  /** Validation error of `body` against the documented answer, or null when it conforms. */
  violation(method: string, route: string, body: unknown): string | null;
  /** Sends a request, expects 200, checks its body against the document, and gives its `result`. */
  conforms(method: string, route: string, sent: request.Test): Promise<Record<string, unknown>>;
}

export async function documentedAnswers(app: Express): Promise<DocumentedAnswers> {
  const res = await request(app).get('/openapi.json').expect(200);
  const paths = (res.body as { paths: Record<string, Record<string, Operation>> }).paths;
  const ajv = new AjvJsonSchemaValidator();
  const answerSchema = (method: string, route: string): JsonSchema => {
    const schema =
      paths[openApiPath(route)]?.[method]?.responses['200']?.content?.['application/json']?.schema;
    if (schema === undefined) throw new Error(`no JSON answer documented for ${method} ${route}`);
    return schema as JsonSchema;
  };
  const violation = (method: string, route: string, body: unknown) => {
    const outcome = ajv.getValidator(answerSchema(method, route))(body);
    return outcome.valid ? null : (outcome.errorMessage ?? 'invalid');
  };
  return {
    resultSchema: (method, route) =>
      (answerSchema(method, route).properties as Record<string, unknown> | undefined)?.result,
    violation,
    async conforms(method, route, sent) {
      const res = await sent;
      const name = `${method} ${route}`;
      expect({ route: name, status: res.status }).toEqual({ route: name, status: 200 });
      expect({ route: name, error: violation(method, route, res.body) }).toEqual({
        route: name,
        error: null,
      });
      return (res.body as { result: Record<string, unknown> }).result;
    },
  };
}
