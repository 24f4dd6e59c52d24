import { Router } from 'express';
import { routeTable, type Mount } from './known-routes.js';
import { route, type Method } from './openapi/route.js';

function declaring(...routes: ReadonlyArray<readonly [Method, string, boolean?]>): Router {
  const router = Router();
  for (const [method, path, changes] of routes) {
    const doc = { method, path, tag: 't', summary: `${method} ${path}` };
    route(router, changes === undefined ? doc : { ...doc, changes }, (_req, res) => res.end());
  }
  return router;
}

const undeclared = Router();
// A route express serves but nobody declared: unknown, so it 404s (and the OpenAPI check fails).
undeclared.post('/sneaky/:id', (_req, res) => res.end());

const mounts: Mount[] = [
  { path: '', router: declaring(['post', '/mcp', true]) },
  {
    path: '/api/v1/admin',
    router: declaring(['get', '/accounts/:id'], ['delete', '/accounts/:id', true]),
  },
  {
    path: '/api/v1',
    router: declaring(
      ['get', '/sessions/:id/archives/:archive'],
      ['post', '/search/find', false],
      ['get', '/'],
    ),
  },
  { path: '/api/v1', router: undeclared },
];
const table = routeTable(mounts);

test.each([
  ['GET', '/api/v1/admin/accounts/acme', 'get /accounts/:id'],
  ['DELETE', '/api/v1/admin/accounts/acme', 'delete /accounts/:id'],
  ['HEAD', '/api/v1/admin/accounts/acme', 'get /accounts/:id'],
  ['GET', '/API/V1/Admin/Accounts/acme', 'get /accounts/:id'],
  ['GET', '/api/v1/admin/accounts/acme/', 'get /accounts/:id'],
  ['GET', '/api/v1/sessions/s1/archives/archive_001', 'get /sessions/:id/archives/:archive'],
  ['GET', '/api/v1/sessions/a%2Fb/archives/x', 'get /sessions/:id/archives/:archive'],
  ['POST', '/api/v1/search/find', 'post /search/find'],
  ['POST', '/mcp', 'post /mcp'],
  ['GET', '/api/v1', 'get /'],
])('%s %s is served by the route declared as %s', (method, path, summary) => {
  expect(table.find(method, path)?.summary).toBe(summary);
});

test.each([
  ['PUT', '/api/v1/admin/accounts/acme'],
  ['OPTIONS', '/api/v1/admin/accounts/acme'],
  ['GET', '/api/v1/admin/accounts'],
  ['GET', '/api/v1/admin/accounts/acme/users'],
  ['GET', '/api/v1/admin/accounts/acme//'],
  ['GET', '/api/v1//sessions/s1/archives/x'],
  ['GET', '/api/v1/sessions/s1/archives'],
  ['POST', '/api/v1/sneaky/1'],
  ['GET', '/mcp'],
  ['POST', '/mcp/tools'],
  ['POST', '/api/v1/mcp'],
])('%s %s is served by no declared route', (method, path) => {
  expect(table.find(method, path)).toBeUndefined();
});

test('a route says whether it changes data through its declaration', () => {
  expect(table.find('DELETE', '/api/v1/admin/accounts/acme')?.changes).toBe(true);
  expect(table.find('POST', '/mcp')?.changes).toBe(true);
  expect(table.find('POST', '/api/v1/search/find')?.changes).toBe(false);
  expect(table.find('GET', '/api/v1/admin/accounts/acme')?.changes).toBeUndefined();
});

test('a parameter that is not valid percent-encoding is the client error express answers', () => {
  expect(() => table.find('GET', '/api/v1/admin/accounts/%zz')).toThrow(
    expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
  );
});
