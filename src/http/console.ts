/**
 * The web console's static assets (`console/` beside package.json) at `/console`. The console is only
 * a client of /api/v1: these routes serve files and nothing else. The files are read once when the
 * app is built and served from memory by name, so nothing outside that folder can be requested, and
 * every answer carries a strict Content-Security-Policy (scripts, styles and requests only from this
 * origin, no inline code, no framing, no form submission to a URL).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { Router, type Response } from 'express';
import { AppError } from '../errors.js';
import { paramOf } from './context.js';
import { route } from './openapi/route.js';
import { PACKAGE_DIR } from '../version.js';

/** The folder the console's files are served from. */
export const CONSOLE_DIR = join(PACKAGE_DIR ?? '.', 'console');

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

interface Asset {
  readonly type: string;
  readonly body: Buffer;
}

/** Every file of `dir` (not recursive) with a known type, by name; none when the folder is missing. */
function loadAssets(dir: string): ReadonlyMap<string, Asset> {
  const assets = new Map<string, Asset>();
  if (!existsSync(dir)) return assets;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const type = CONTENT_TYPES[extname(entry.name)];
    if (entry.isFile() && type !== undefined) {
      assets.set(entry.name, { type, body: readFileSync(join(dir, entry.name)) });
    }
  }
  return assets;
}

function send(res: Response, asset: Asset | undefined, name: string): void {
  if (asset === undefined) throw new AppError('NOT_FOUND', `no console file '${name}'`);
  res.setHeader('Content-Security-Policy', CONSOLE_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cache-Control', 'no-cache');
  res.type(asset.type).send(asset.body);
}

/** The router for /console: `/console/` is index.html, `/console/{file}` one of the folder's files. */
export function consoleRouter(dir: string = CONSOLE_DIR): Router {
  const assets = loadAssets(dir);
  const router = Router({ strict: true });
  const page = { method: 'get', tag: 'console', access: 'public' } as const;
  route(
    router,
    { ...page, path: '/', summary: 'The web console (sign in with an API key)', produces: 'text/html' },
    (req, res) => {
      // The page loads its modules by absolute path, but a canonical address keeps history simple.
      if (!req.originalUrl.split('?')[0]?.endsWith('/')) {
        res.redirect(301, '/console/');
        return;
      }
      send(res, assets.get('index.html'), 'index.html');
    },
  );
  route(
    router,
    {
      ...page,
      path: '/:file',
      summary: "One of the console's scripts or its stylesheet",
      produces: 'text/plain',
    },
    (req, res) => {
      const name = paramOf(req, 'file');
      send(res, assets.get(name), name);
    },
  );
  return router;
}
