/**
 * `POST /api/v1/skills` (OpenViking's add_skill): a skill becomes
 * `viking://agent/{agent}/skills/{name}/SKILL.md` in the caller's agent scope (the policy core places
 * it: `viking://agent/skills/...` is shorthand for the caller's canonical agent root), with the
 * folder's `.abstract.md` and `.overview.md`. Every file goes through the filesystem service, so the
 * policy, the size limit and indexing (context type `skill`) apply as for `content/write`.
 */
import { z } from 'zod';
import { AppError } from '../errors.js';
import type { Vfs } from '../fs/index.js';
import type { WaitOptions } from '../fs/write-ops.js';
import type { RequestContext } from '../policy/index.js';
import { renderSkill, skillAbstract, skillFromData, skillFromMarkdown, skillOverview } from './skill.js';

/** Reads an upload of the caller's account by its `temp_file_id` (404 if it has none such). */
export type UploadReader = (ctx: RequestContext, temp_file_id: string) => Promise<Buffer>;

/** The body of `POST /api/v1/skills` (the route declares and parses it; the service takes its output). */
export const addSkillSchema = z
  .object({
    data: z.unknown().optional(),
    temp_file_id: z.string().min(1).nullish(),
    wait: z.boolean().nullish(),
    timeout: z.number().positive().max(3600).nullish(),
  })
  .refine((b) => (b.data !== undefined && b.data !== null) || typeof b.temp_file_id === 'string', {
    message: "either 'data' or 'temp_file_id' is required",
    path: ['data'],
  });
export type AddSkillBody = z.output<typeof addSkillSchema>;

export interface AddSkillResult {
  status: 'success';
  uri: string;
  name: string;
  auxiliary_files: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export class SkillService {
  constructor(
    private readonly vfs: Vfs,
    private readonly readUpload?: UploadReader,
  ) {}

  async add(ctx: RequestContext, body: AddSkillBody): Promise<AddSkillResult> {
    const skill =
      typeof body.temp_file_id === 'string'
        ? skillFromMarkdown(await this.uploadText(ctx, body.temp_file_id))
        : skillFromData(body.data);
    const wait: WaitOptions = {};
    if (body.wait != null) wait.wait = body.wait;
    if (body.timeout != null) wait.timeout = body.timeout;
    const folder = `viking://agent/skills/${skill.name}`;
    // SKILL.md first: it is the largest file, so a size refusal leaves nothing written.
    const written = await this.vfs.write(ctx, {
      uri: `${folder}/SKILL.md`,
      content: renderSkill(skill),
      ...wait,
    });
    await this.vfs.write(ctx, { uri: `${folder}/.abstract.md`, content: skillAbstract(skill), ...wait });
    await this.vfs.write(ctx, { uri: `${folder}/.overview.md`, content: skillOverview(skill), ...wait });
    const uri = written.uri.slice(0, -'/SKILL.md'.length);
    return { status: 'success', uri, name: skill.name, auxiliary_files: 0 };
  }

  private async uploadText(ctx: RequestContext, id: string): Promise<string> {
    if (this.readUpload === undefined) {
      throw new AppError('FAILED_PRECONDITION', 'this server keeps no uploads', { temp_file_id: id });
    }
    const bytes = await this.readUpload(ctx, id);
    try {
      return utf8.decode(bytes);
    } catch {
      throw new AppError('INVALID_ARGUMENT', 'an uploaded skill must be a UTF-8 SKILL.md text', {
        temp_file_id: id,
      });
    }
  }
}
