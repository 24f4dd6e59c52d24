/**
 * HTTP routes of the session API (SPEC 8), relative to /api/v1. Parses bodies and queries with the
 * schemas these routes declare (src/sessions/schema.ts), then turns requests into
 * {@link SessionService} calls and results into the envelope; all rules live in the service.
 */
import { Router, type Request } from 'express';
import {
  batchSchema,
  commitSchema,
  contextQuerySchema,
  createSessionSchema,
  getSessionQuerySchema,
  messageBodySchema,
} from '../../sessions/schema.js';
import type { SessionService } from '../../sessions/service.js';
import { usedBodySchema } from '../../sessions/usage.js';
import { contextOf, paramOf, sendOk } from '../context.js';
import { route } from '../openapi/route.js';
import {
  appendResult,
  archiveResult,
  batchResult,
  commitResult,
  contextResult,
  extractStarted,
  memoriesResult,
  sessionCreated,
  sessionDeleted,
  sessionList,
  sessionResult,
  usedResult,
} from '../openapi/results.js';

const idParam = (req: Request): string => paramOf(req, 'id');
const tag = 'sessions';

export function sessionsRouter(service: SessionService): Router {
  const router = Router();
  route(
    router,
    {
      method: 'post',
      path: '/sessions',
      changes: true,
      result: sessionCreated,
      tag,
      summary: 'Create a session (a new uuid without session_id)',
      body: createSessionSchema,
      bodyName: 'request body',
      example: { body: { session_id: 'standup-2026-11-29' } },
    },
    async (req, res, input) => sendOk(res, await service.create(contextOf(req), input.body())),
  );
  route(
    router,
    { method: 'get', path: '/sessions', result: sessionList, tag, summary: "The account's sessions" },
    async (req, res) => sendOk(res, await service.list(contextOf(req))),
  );
  route(
    router,
    {
      method: 'get',
      path: '/sessions/:id',
      result: sessionResult,
      tag,
      summary: 'Session meta and the caller',
      query: getSessionQuerySchema,
      example: { query: { auto_create: 'false' } },
    },
    async (req, res, input) => sendOk(res, await service.get(contextOf(req), idParam(req), input.query())),
  );
  route(
    router,
    {
      method: 'delete',
      path: '/sessions/:id',
      tag,
      summary: 'Delete a session (ADMIN or ROOT; idempotent)',
      changes: true,
      result: sessionDeleted,
    },
    async (req, res) => sendOk(res, await service.delete(contextOf(req), idParam(req))),
  );
  route(
    router,
    {
      method: 'post',
      path: '/sessions/:id/messages',
      changes: true,
      result: appendResult,
      tag,
      summary: 'Append a message (creates the session if missing)',
      description: 'USER keys may not send `role_id`: it is derived from the effective identity (SPEC 8.1).',
      body: messageBodySchema,
      bodyName: 'message',
      example: { body: { role: 'user', content: 'Remember that the demo is on Friday.', wait: true } },
    },
    async (req, res, input) =>
      sendOk(res, await service.addMessage(contextOf(req), idParam(req), input.body())),
  );
  route(
    router,
    {
      method: 'post',
      path: '/sessions/:id/messages/batch',
      changes: true,
      result: batchResult,
      tag,
      summary: 'Append up to 100 messages in order, all or nothing',
      body: batchSchema,
      bodyName: 'request body',
      example: {
        body: {
          messages: [
            { role: 'user', content: 'Where is the demo?', peer_id: 'web-client' },
            { role: 'assistant', content: 'In room 4.' },
          ],
        },
      },
    },
    async (req, res, input) =>
      sendOk(res, await service.addMessages(contextOf(req), idParam(req), input.body())),
  );
  route(
    router,
    {
      method: 'get',
      path: '/sessions/:id/archives/:archive',
      result: archiveResult,
      tag,
      summary: "One archive's abstract, overview and messages",
    },
    async (req, res) =>
      sendOk(res, await service.archive(contextOf(req), idParam(req), paramOf(req, 'archive'))),
  );
  route(
    router,
    {
      method: 'get',
      path: '/sessions/:id/context',
      result: contextResult,
      tag,
      summary: 'Archive summaries and live messages within a token budget',
      query: contextQuerySchema,
      example: { query: { token_budget: 4000 } },
    },
    async (req, res, input) =>
      sendOk(res, await service.context(contextOf(req), idParam(req), input.query())),
  );
  route(
    router,
    {
      method: 'post',
      path: '/sessions/:id/used',
      changes: true,
      result: usedResult,
      tag,
      summary: 'Record the contexts and skill a turn used (archived by the next commit)',
      body: usedBodySchema,
      bodyName: 'request body',
      example: { body: { contexts: ['viking://resources/guides/deploy.md'] } },
    },
    async (req, res, input) => sendOk(res, await service.used(contextOf(req), idParam(req), input.body())),
  );
  route(
    router,
    {
      method: 'post',
      path: '/sessions/:id/commit',
      changes: true,
      result: commitResult,
      tag,
      summary:
        'Archive the live messages with extractive summaries; with a language model configured, extract their memories as a task',
      body: commitSchema,
      bodyName: 'request body',
      example: { body: { keep_recent_count: 2 } },
    },
    async (req, res, input) => sendOk(res, await service.commit(contextOf(req), idParam(req), input.body())),
  );
  route(
    router,
    {
      method: 'post',
      path: '/sessions/:id/extract',
      changes: true,
      result: extractStarted,
      tag,
      summary:
        "Extract the live messages' memories as a task (needs a language model: LLM_BASE_URL, LLM_MODEL)",
    },
    async (req, res) => sendOk(res, await service.extract(contextOf(req), idParam(req))),
  );
  route(
    router,
    {
      method: 'get',
      path: '/sessions/:id/memories',
      result: memoriesResult,
      tag,
      summary: 'Per archive, the memories extraction wrote that the caller may read, by owner',
    },
    async (req, res) => sendOk(res, await service.memories(contextOf(req), idParam(req))),
  );
  return router;
}
