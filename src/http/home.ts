/**
 * `GET /`: a browser is sent to the web console; any other client gets a small JSON index of where
 * things are, instead of a bare 404.
 */
import { Router } from 'express';
import { VERSION } from '../version.js';
import { route } from './openapi/route.js';

export function homeRouter(): Router {
  const router = Router();
  route(
    router,
    {
      method: 'get',
      path: '/',
      tag: 'system',
      access: 'public',
      summary: 'Where things are: a browser is redirected to /console/, other clients get a JSON index',
    },
    (req, res) => {
      if (req.accepts(['application/json', 'text/html']) === 'text/html') {
        res.redirect(302, '/console/');
        return;
      }
      res.json({
        name: 'VikingScope',
        version: VERSION,
        console: '/console/',
        docs: '/docs',
        openapi: '/openapi.json',
        health: '/health',
        api: '/api/v1',
      });
    },
  );
  return router;
}
