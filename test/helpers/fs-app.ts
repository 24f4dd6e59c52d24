/**
 * A tiny express app around fsRouter for route tests, until createApp exists on main: the identity
 * comes from test headers and AppError codes map to statuses with a minimal handler.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { isAppError, type ErrorCode } from '../../src/errors.js';
import type { Vfs } from '../../src/fs/index.js';
import { setContext } from '../../src/http/context.js';
import { fsRouter } from '../../src/http/routes/fs.js';
import { DEFAULT_POLICY, type Role } from '../../src/policy/index.js';

const STATUS: Record<ErrorCode, number> = {
  INVALID_ARGUMENT: 400,
  INVALID_URI: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  CONFLICT: 409,
  FAILED_PRECONDITION: 412,
  PAYLOAD_TOO_LARGE: 413,
  RESOURCE_EXHAUSTED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
};

export function fsTestApp(vfs: Vfs): express.Express {
  const app = express();
  app.use(express.json());
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
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const code: ErrorCode = isAppError(error) ? error.code : 'INTERNAL';
    const details = isAppError(error) ? error.details : {};
    res
      .status(STATUS[code])
      .json({ status: 'error', result: null, error: { code, message: 'error', details } });
  });
  return app;
}
