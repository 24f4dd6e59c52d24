/**
 * `GET /openapi.json` (the generated document) and `GET /docs` (a Swagger UI reference page). The
 * page is ours; its script and stylesheet come from the installed swagger-ui-dist package, served by
 * us, so it works offline. Only the few files the page uses are served (not the package's stock
 * index.html, whose initializer loads a public demo document), each with the console's security
 * headers: a Content-Security-Policy allowing nothing but this origin (no inline code, no framing).
 * The document is built once, on first request, from the routes mounted at that point.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Router, type Response } from 'express';
import { AppError } from '../../errors.js';
import { CONSOLE_CSP } from '../console.js';
import { paramOf } from '../context.js';
import { openApiDocument, type MountedRoutes } from './document.js';
import { route } from './route.js';

const ASSETS_DIR = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

/** The console's policy, plus `data:` images (Swagger UI's stylesheet draws its icons with them). */
const DOCS_CSP = CONSOLE_CSP.replace("img-src 'self'", "img-src 'self' data:");

/** Swagger UI's files the page uses, by name, read on first request. */
const ASSETS: Readonly<Record<string, string>> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

/** Starts Swagger UI on our document (a file of its own: the policy allows no inline script). */
const INIT = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true });
`;

function secured(res: Response, type: string): Response {
  res.setHeader('Content-Security-Policy', DOCS_CSP);
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  return res.type(type);
}

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
    <script src="/docs/init.js"></script>
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
      secured(res, 'html').send(PAGE);
    },
  );
  const files = new Map<string, Buffer>();
  route(
    router,
    {
      method: 'get',
      path: '/docs/:file',
      tag: 'reference',
      summary: "The reference page's script, Swagger UI's script and stylesheet, its icon",
      access: 'public',
      produces: 'text/plain',
    },
    (req, res) => {
      const name = paramOf(req, 'file');
      if (name === 'init.js') {
        secured(res, 'text/javascript; charset=utf-8').send(INIT);
        return;
      }
      if (!Object.hasOwn(ASSETS, name)) throw new AppError('NOT_FOUND', `no reference file '${name}'`);
      let body = files.get(name);
      if (body === undefined) files.set(name, (body = readFileSync(join(ASSETS_DIR, name))));
      secured(res, ASSETS[name] ?? 'application/octet-stream').send(body);
    },
  );
  return router;
}
