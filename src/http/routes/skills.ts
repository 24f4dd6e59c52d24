/** `POST /api/v1/skills` (OpenViking's add_skill), relative to /api/v1; the rules live in the SkillService. */
import { Router } from 'express';
import { addSkillSchema, type SkillService } from '../../skills/service.js';
import { contextOf, sendOk } from '../context.js';
import { route } from '../openapi/route.js';

export function skillsRouter(skills: SkillService): Router {
  const router = Router();
  route(
    router,
    {
      method: 'post',
      path: '/skills',
      tag: 'skills',
      summary: "Add a skill to the caller's agent scope (SKILL.md text, a dict, an MCP tool, or an upload)",
      body: addSkillSchema,
      bodyName: 'request body',
      example: {
        body: {
          data: {
            name: 'brew-tea',
            description: 'Brews tea for the user',
            content: '# Brew tea\n\nBoil water.',
          },
          wait: true,
        },
      },
    },
    async (req, res, input) => sendOk(res, await skills.add(contextOf(req), input.body())),
  );
  return router;
}
