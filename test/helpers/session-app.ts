/**
 * A tiny express app around sessionsRouter for route tests until createApp exists: the request
 * context comes from test headers, and AppError codes map to statuses as SPEC 12 says.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { isAppError, type ErrorCode } from '../../src/errors.js';
import { sessionsRouter } from '../../src/http/routes/sessions.js';
import { setContext } from '../../src/http/context.js';
import { DEFAULT_POLICY, type Role } from '../../src/policy/index.js';
import type { SessionService } from '../../src/sessions/service.js';

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

/** Headers `x-test-role`, `x-test-account`, `x-test-user`, `x-test-agent` set the context. */
export function sessionTestApp(service: SessionService): express.Express {
  const app = express();
  app.use(express.json());
  app.use((req: Request, _res: Response, next: NextFunction) => {
    setContext(req, {
      role: (req.header('x-test-role') ?? 'user') as Role,
      policy: DEFAULT_POLICY,
      effective: {
        account_id: req.header('x-test-account') ?? 'acme',
        user_id: req.header('x-test-user') ?? 'alice',
        agent_id: req.header('x-test-agent') ?? 'bot',
      },
    });
    next();
  });
  app.use('/api/v1', sessionsRouter(service));
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = isAppError(error) ? STATUS[error.code] : 500;
    const body = isAppError(error)
      ? { code: error.code, message: error.message, details: error.details }
      : { code: 'INTERNAL', message: 'internal error', details: {} };
    res.status(status).json({ status: 'error', result: null, error: body });
  });
  return app;
}
