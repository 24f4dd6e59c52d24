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
import {
  renderSkill,
  skillAbstract,
  skillFromData,
  skillFromMarkdown,
  skillOverview,
  type Skill,
} from './skill.js';

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

/** Where a skill's text comes from: inline `data` or an upload's `temp_file_id`. */
export interface SkillSource {
  readonly data?: unknown;
  readonly temp_file_id?: string | null | undefined;
}

export interface SkillWait {
  readonly wait?: boolean | null | undefined;
  readonly timeout?: number | null | undefined;
}

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
    return this.install(ctx, await this.parse(ctx, body), body);
  }

  /** The skill of a request's `data` or uploaded SKILL.md (400 if it is not one). */
  async parse(ctx: RequestContext, body: SkillSource): Promise<Skill> {
    return typeof body.temp_file_id === 'string'
      ? skillFromMarkdown(await this.uploadText(ctx, body.temp_file_id))
      : skillFromData(body.data);
  }

  /** Writes a skill's folder in the caller's agent scope (an existing one of that name is replaced). */
  async install(ctx: RequestContext, skill: Skill, options: SkillWait): Promise<AddSkillResult> {
    const wait: WaitOptions = {};
    if (options.wait != null) wait.wait = options.wait;
    if (options.timeout != null) wait.timeout = options.timeout;
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
