/**
 * An express app around fsRouter for route tests with hand-picked contexts: the identity comes from
 * test headers (no auth), everything else — body reading, error envelope, statuses — is the real app's.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Vfs } from '../../src/fs/index.js';
import { bodyReader } from '../../src/http/body.js';
import { setContext } from '../../src/http/context.js';
import { errorHandler, notFoundHandler } from '../../src/http/errors.js';
import { fsRouter } from '../../src/http/routes/fs.js';
import { DEFAULT_POLICY, type Role } from '../../src/policy/index.js';

export function fsTestApp(vfs: Vfs): express.Express {
  const app = express();
  app.use(bodyReader(10 * 1024 * 1024));
  app.use((req: Request, _res: Response, next: NextFunction) => {
    const role = (req.header('x-test-role') ?? 'user') as Role;
    const user_id = req.header('x-test-user') ?? 'alice';
    setContext(req, {
      role,
      policy: DEFAULT_POLICY,
      effective: { account_id: 'acme', user_id, agent_id: 'bot' },
    });
    next();
  });
  app.use('/api/v1', fsRouter(vfs));
  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
