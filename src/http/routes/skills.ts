/**
 * The skills routes of OpenViking's server, relative to /api/v1: `POST skills` (add), `GET skills`,
 * `POST skills/find`, `POST skills/validate`, `GET` / `PUT` / `DELETE skills/{name}`. The rules live
 * in the SkillService (writing a skill) and the SkillCatalog (everything else).
 */
import { Router } from 'express';
import type { SkillCatalog } from '../../skills/catalog.js';
import {
  deleteSkillQuery,
  findSkillsBody,
  getSkillQuery,
  listSkillsQuery,
  updateSkillBody,
  validateSkillBody,
} from '../../skills/requests.js';
import { addSkillSchema, type SkillService } from '../../skills/service.js';
import { contextOf, paramOf, sendOk } from '../context.js';
import { route } from '../openapi/route.js';
import * as more from '../openapi/results-more.js';

const tag = 'skills';
const BREW = {
  name: 'brew-tea',
  description: 'Brews tea for the user',
  content: '# Brew tea\n\nBoil water.',
};

export function skillsRouter(skills: SkillService, catalog: SkillCatalog): Router {
  const router = Router();
  collectionRoutes(router, skills, catalog);
  skillRoutes(router, catalog);
  return router;
}

/** The routes on the collection: add, list, find, validate. */
function collectionRoutes(router: Router, skills: SkillService, catalog: SkillCatalog): void {
  route(
    router,
    {
      method: 'post',
      path: '/skills',
      changes: true,
      result: more.skillAdded,
      tag,
      summary: "Add a skill to the caller's agent scope (SKILL.md text, a dict, an MCP tool, or an upload)",
      body: addSkillSchema,
      bodyName: 'request body',
      example: { body: { data: BREW, wait: true } },
    },
    async (req, res, input) => sendOk(res, await skills.add(contextOf(req), input.body())),
  );
  route(
    router,
    {
      method: 'get',
      path: '/skills',
      result: more.skillList,
      tag,
      summary: "List the skills of the caller's agent scope",
      query: listSkillsQuery,
      example: { query: { node_limit: 100 } },
    },
    async (req, res, input) => sendOk(res, await catalog.list(contextOf(req), input.query())),
  );
  route(
    router,
    {
      method: 'post',
      path: '/skills/find',
      result: more.skillsFound,
      tag,
      summary: "Search the caller's skills (one hit per skill, best first)",
      body: findSkillsBody,
      bodyName: 'request body',
      example: { body: { query: 'make tea', limit: 5 } },
    },
    async (req, res, input) => sendOk(res, await catalog.find(contextOf(req), input.body())),
  );
  route(
    router,
    {
      method: 'post',
      path: '/skills/validate',
      result: more.skillValidated,
      tag,
      summary: 'Check skill data without installing it ({valid, errors, warnings})',
      body: validateSkillBody,
      bodyName: 'request body',
      example: { body: { data: BREW, strict: true } },
    },
    (_req, res, input) => sendOk(res, catalog.validate(input.body())),
  );
}

/** The routes on one skill by name: show, replace, delete. */
function skillRoutes(router: Router, catalog: SkillCatalog): void {
  route(
    router,
    {
      method: 'get',
      path: '/skills/:name',
      result: more.skillShown,
      tag,
      summary: 'Show one skill: summary, abstract, overview, SKILL.md content and files',
      query: getSkillQuery,
      example: { query: { include_content: true } },
    },
    async (req, res, input) =>
      sendOk(res, await catalog.get(contextOf(req), paramOf(req, 'name'), input.query())),
  );
  route(
    router,
    {
      method: 'put',
      path: '/skills/:name',
      changes: true,
      result: more.skillUpdated,
      tag,
      summary: 'Replace an existing skill (its data must keep the name)',
      body: updateSkillBody,
      bodyName: 'request body',
      example: { body: { data: BREW, wait: true } },
    },
    async (req, res, input) =>
      sendOk(res, await catalog.update(contextOf(req), paramOf(req, 'name'), input.body())),
  );
  route(
    router,
    {
      method: 'delete',
      path: '/skills/:name',
      changes: true,
      result: more.skillDeleted,
      tag,
      summary: 'Delete a skill of the caller',
      query: deleteSkillQuery,
    },
    async (req, res, input) =>
      sendOk(res, await catalog.delete(contextOf(req), paramOf(req, 'name'), input.query().target_uri)),
  );
}
