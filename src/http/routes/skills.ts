/** `POST /api/v1/skills` (OpenViking's add_skill); the rules live in the {@link SkillService}. */
import { Router } from 'express';
import type { SkillService } from '../../skills/service.js';
import { contextOf, sendOk } from '../context.js';

export function skillsRouter(skills: SkillService): Router {
  const router = Router();
  router.post('/skills', async (req, res) => {
    sendOk(res, await skills.add(contextOf(req), req.body));
  });
  return router;
}
