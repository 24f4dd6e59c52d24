/**
 * The installed skills of the caller's agent scope as OpenViking's skills router shows them: list,
 * find (search restricted to the skills folder), show one, delete, validate and update. A skill is a
 * folder `{agent root}/skills/{name}` holding `SKILL.md`; the folder is always derived from the
 * caller's own identity (the policy core expands `viking://agent/skills`), so a skill of another
 * agent's scope is never addressed by name. A `target_uri` is resolved and visibility-checked (403)
 * before it is compared with that folder (400 for anything else). Every read and write goes through
 * the filesystem service and search, so visibility, write rules and indexing are theirs.
 */
import { createHash } from 'node:crypto';
import { AppError, isAppError } from '../errors.js';
import type { Vfs } from '../fs/index.js';
import { canRead, resolveUri, type RequestContext } from '../policy/index.js';
import type { SearchRequest, SearchResult } from '../search/types.js';
import {
  skillFileKind,
  type FindSkillsBody,
  type GetSkillQuery,
  type ListSkillsQuery,
  type UpdateSkillBody,
  type ValidateSkillBody,
} from './requests.js';
import type { AddSkillResult, SkillService } from './service.js';
import { SKILL_NAME, skillFromData, skillFromMarkdown, type Skill } from './skill.js';

/** Runs a search as the caller, through the same admission control as `search/find`. */
export type SkillSearch = (ctx: RequestContext, request: SearchRequest) => Promise<SearchResult>;

export interface SkillSummary {
  type: 'skill';
  name: string;
  uri: string;
  root_uri: string;
  skill_md_uri: string;
  description: string;
  tags: string[];
  allowed_tools: string[];
}

const SKILLS_SHORTHAND = 'viking://agent/skills';
/** Files listed by `GET skills/{name}` (a skill is a small folder; more is refused, not cut). */
const MAX_SKILL_FILES = 1000;

function summary(name: string, root: string, description: string): SkillSummary {
  return {
    type: 'skill',
    name,
    uri: root,
    root_uri: root,
    skill_md_uri: `${root}/SKILL.md`,
    description,
    tags: [],
    allowed_tools: [],
  };
}

function notFound(uri: string): AppError {
  return new AppError('NOT_FOUND', 'no such skill', { uri });
}

function checkName(name: string): string {
  if (!SKILL_NAME.test(name)) {
    throw new AppError('INVALID_ARGUMENT', 'a skill name is 1-128 letters, digits, "-" or "_"', {
      field: 'name',
    });
  }
  return name;
}

export class SkillCatalog {
  constructor(
    private readonly vfs: Vfs,
    private readonly skills: SkillService,
    private readonly search: SkillSearch,
  ) {}

  /**
   * The caller's skills folder (canonical). A `target_uri` must be readable (403) and name that folder
   * or lie inside it (400 otherwise): skills live only in the caller's own agent scope.
   */
  rootOf(ctx: RequestContext, target_uri?: string | null): string {
    const root = resolveUri(SKILLS_SHORTHAND, ctx.effective, ctx.policy).uri;
    if (target_uri == null || target_uri === '') return root;
    const target = resolveUri(target_uri, ctx.effective, ctx.policy);
    // Visibility first (SPEC 7's order), so nothing is learnt about another scope.
    if (target.uri !== root && !target.uri.startsWith(`${root}/`)) {
      if (!canRead(ctx, target)) {
        throw new AppError('PERMISSION_DENIED', 'target_uri is not visible to the caller', {
          uri: target.uri,
        });
      }
      throw new AppError('INVALID_ARGUMENT', `skills live in ${root}; target_uri must name it`, {
        field: 'target_uri',
        uri: target.uri,
      });
    }
    return root;
  }

  async list(ctx: RequestContext, query: ListSkillsQuery) {
    const root = this.rootOf(ctx, query.target_uri);
    const skills = await this.listAt(ctx, root, query.node_limit);
    const where = query.target_uri == null ? { root_uris: [root] } : { root_uri: root };
    return { ...where, skills, total: skills.length };
  }

  private async listAt(ctx: RequestContext, root: string, limit: number): Promise<SkillSummary[]> {
    let entries;
    try {
      entries = await this.vfs.ls(ctx, root, { nodeLimit: limit });
    } catch (error) {
      if (isAppError(error) && error.code === 'NOT_FOUND') return [];
      throw error;
    }
    const found: SkillSummary[] = [];
    for (const entry of entries) {
      if (!entry.isDir || !(await this.isFile(ctx, `${entry.uri}/SKILL.md`))) continue;
      const name = entry.uri.slice(entry.uri.lastIndexOf('/') + 1);
      found.push(summary(name, entry.uri, entry.abstract.trim()));
    }
    return found;
  }

  /** Hits of a search restricted to the skills folder, one per skill (its best hit). */
  async find(ctx: RequestContext, body: FindSkillsBody) {
    const root = this.rootOf(ctx, body.target_uri);
    const result = await this.search(ctx, {
      query: body.query,
      target_uri: root,
      limit: body.limit,
      score_threshold: body.score_threshold ?? undefined,
      levels: body.level ?? undefined,
      context_type: ['skill'],
      mode: 'hybrid',
    });
    const best = new Map<
      string,
      SkillSummary & { score: number; match_reason: string; level: number; abstract: string }
    >();
    for (const hit of result.skills) {
      const name = hit.uri.slice(root.length + 1).split('/')[0] ?? '';
      if (name === '' || best.has(name)) continue;
      const description = await this.descriptionOf(ctx, `${root}/${name}`);
      best.set(name, {
        ...summary(name, `${root}/${name}`, description),
        score: hit.score,
        match_reason: hit.match_reason,
        level: hit.level,
        abstract: hit.abstract,
      });
    }
    const skills = [...best.values()];
    const where = body.target_uri == null ? { root_uris: [root] } : { root_uri: root };
    return { ...where, skills, total: skills.length };
  }

  /** One skill: summary, abstract, overview, SKILL.md content and its files, as the query asks. */
  async get(ctx: RequestContext, rawName: string, query: GetSkillQuery) {
    const folder = await this.require(ctx, rawName, query.target_uri);
    const name = checkName(rawName);
    const level = query.level ?? null;
    const abstract = await this.vfs.abstract(ctx, folder);
    const result: Record<string, unknown> = { ...summary(name, folder, abstract.trim()) };
    if (level === null || level === 0) result['abstract'] = abstract;
    if (level === null || level === 1) result['overview'] = await this.vfs.overview(ctx, folder);
    const wantContent = level === 2 || query.include_content === true;
    if (wantContent || (level === null && query.include_content !== false)) {
      const content = await this.vfs.read(ctx, `${folder}/SKILL.md`);
      result['content'] = content;
      result['content_sha256'] = createHash('sha256').update(content, 'utf8').digest('hex');
    }
    if (query.include_files) result['files'] = await this.files(ctx, folder);
    // We keep no record of where a skill came from: the field is there, empty, when asked for.
    if (query.include_source) result['source'] = null;
    return result;
  }

  private async files(ctx: RequestContext, folder: string) {
    const entries = await this.vfs.tree(ctx, folder, {
      levelLimit: 10,
      nodeLimit: MAX_SKILL_FILES + 1,
      showAllHidden: true,
    });
    if (entries.length > MAX_SKILL_FILES) {
      throw new AppError('PAYLOAD_TOO_LARGE', `a skill may list at most ${MAX_SKILL_FILES} files`, {
        uri: folder,
        limit: MAX_SKILL_FILES,
      });
    }
    return entries.map((e) => ({
      name: e.uri.slice(e.uri.lastIndexOf('/') + 1),
      uri: e.uri,
      path: e.rel_path,
      is_dir: e.isDir,
      kind: skillFileKind(e.rel_path, e.isDir),
      size: e.size,
    }));
  }

  /** Removes a skill's folder (the filesystem's remove rules apply: only the caller's own scope). */
  async delete(ctx: RequestContext, rawName: string, target_uri?: string | null) {
    const folder = await this.require(ctx, rawName, target_uri);
    await this.vfs.rm(ctx, folder, true);
    return { name: rawName, uri: folder, root_uri: folder };
  }

  /** Replaces an existing skill (404 if there is none of that name; the data must keep the name). */
  async update(
    ctx: RequestContext,
    rawName: string,
    body: UpdateSkillBody,
  ): Promise<AddSkillResult & { action: 'update' }> {
    await this.require(ctx, rawName, body.target_uri);
    const skill = await this.skills.parse(ctx, body);
    if (skill.name !== rawName) {
      throw new AppError('INVALID_ARGUMENT', `the skill's data names "${skill.name}", not "${rawName}"`, {
        field: 'data.name',
      });
    }
    return { ...(await this.skills.install(ctx, skill, body)), action: 'update' };
  }

  /** OpenViking's `skills/validate`: whether `data` is a skill it would install (never writes). */
  validate(body: ValidateSkillBody) {
    const errors: Array<{ field: string; message: string }> = [];
    let skill: Skill | null = null;
    try {
      skill = typeof body.data === 'string' ? skillFromMarkdown(body.data) : skillFromData(body.data);
    } catch (error) {
      if (!isAppError(error)) throw error;
      errors.push({ field: 'data', message: error.message });
    }
    const warnings: string[] = [];
    if (skill !== null) {
      // Strict validation refuses what the lenient one only warns about.
      if (skill.description.trim() === '') {
        if (body.strict) errors.push({ field: 'description', message: 'a description is required' });
        else warnings.push('the skill has no description');
      }
      if (body.skill_dir_name != null && body.skill_dir_name !== skill.name) {
        errors.push({
          field: 'name',
          message: `the name must equal the folder name "${body.skill_dir_name}"`,
        });
      }
    }
    return {
      valid: errors.length === 0,
      name: skill?.name ?? null,
      description: skill?.description ?? null,
      errors,
      warnings,
    };
  }

  /** The folder of an existing skill of the caller (404 if it has none of that name). */
  private async require(ctx: RequestContext, rawName: string, target_uri?: string | null): Promise<string> {
    const folder = `${this.rootOf(ctx, target_uri)}/${checkName(rawName)}`;
    if (!(await this.isFile(ctx, `${folder}/SKILL.md`))) throw notFound(folder);
    return folder;
  }

  private async isFile(ctx: RequestContext, uri: string): Promise<boolean> {
    try {
      return !(await this.vfs.stat(ctx, uri)).isDir;
    } catch (error) {
      if (isAppError(error) && error.code === 'NOT_FOUND') return false;
      throw error;
    }
  }

  private async descriptionOf(ctx: RequestContext, folder: string): Promise<string> {
    try {
      return (await this.vfs.abstract(ctx, folder)).trim();
    } catch (error) {
      if (isAppError(error) && error.code === 'NOT_FOUND') return '';
      throw error;
    }
  }
}
