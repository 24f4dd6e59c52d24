/**
 * `GET /openapi.json` (the generated document) and `GET /docs` (a Swagger UI reference page). The
 * page and all its assets come from the installed swagger-ui-dist package, served by us, so it works
 * offline; the document is built once, on first request, from the routes mounted at that point.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import express, { Router } from 'express';
import { openApiDocument, type MountedRoutes } from './document.js';
import { route } from './route.js';

const ASSETS_DIR = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>VikingScope API</title>
    <link rel="stylesheet" href="/docs/swagger-ui.css" />
    <link rel="icon" type="image/png" href="/docs/favicon-32x32.png" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="/docs/swagger-ui-bundle.js"></script>
    <script>
      window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true });
    </script>
  </body>
</html>
`;

/** The document and reference page routes; `mounted` lists every documented router of the app. */
export function docsRouter(mounted: () => readonly MountedRoutes[]): Router {
  const router = Router();
  let document: Record<string, unknown> | undefined;
  route(
    router,
    {
      method: 'get',
      path: '/openapi.json',
      tag: 'reference',
      summary: 'This OpenAPI 3.1 document',
      access: 'public',
      produces: 'application/json',
    },
    (_req, res) => {
      document ??= openApiDocument(mounted());
      res.json(document);
    },
  );
  route(
    router,
    {
      method: 'get',
      path: '/docs',
      tag: 'reference',
      summary: 'API reference page (Swagger UI, works offline)',
      access: 'public',
      produces: 'text/html',
    },
    (_req, res) => {
      res.type('html').send(PAGE);
    },
  );
  router.use('/docs', express.static(ASSETS_DIR, { index: false, fallthrough: true }));
  return router;
}
