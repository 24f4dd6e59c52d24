/**
 * What a skill is on the wire and on disk (OpenViking's add_skill): `data` is a SKILL.md text with
 * front matter (`name`, `description`), a dict `{name, description, content}`, or an MCP tool
 * description `{name, description, inputSchema}`. All three become one {@link Skill}, rendered back
 * to a SKILL.md and summarised extractively (no model). Pure: no I/O.
 */
import { z } from 'zod';
import { AppError } from '../errors.js';
import { parseInput } from '../validate.js';

/** A skill name is one URI segment: letters, digits, `-` and `_`, starting with a letter or digit. */
export const SKILL_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

export interface Skill {
  readonly name: string;
  readonly description: string;
  /** The Markdown body of SKILL.md (without front matter). */
  readonly content: string;
}

const skillName = z.string().regex(SKILL_NAME, 'a skill name is 1-128 letters, digits, "-" or "_"');
const description = z.string().max(4096);

const dictSchema = z.object({
  name: skillName,
  description: description.default(''),
  content: z.string().default(''),
});

const property = z.looseObject({ type: z.unknown().optional(), description: z.string().optional() });
const mcpSchema = z.object({
  name: z.string().min(1).max(128),
  description: description.default(''),
  inputSchema: z.looseObject({
    properties: z.record(z.string(), property).optional(),
    required: z.array(z.string()).optional(),
  }),
});

/** A front matter scalar: plain, "double-quoted" (JSON escapes) or 'single-quoted' ('' is a quote). */
function scalar(raw: string): string {
  const value = raw.trim();
  if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) {
    try {
      return String(JSON.parse(value));
    } catch {
      return value.slice(1, -1);
    }
  }
  if (value.startsWith("'") && value.endsWith("'") && value.length >= 2) {
    return value.slice(1, -1).replaceAll("''", "'");
  }
  return value;
}

/** Splits `---\n front matter \n---\n body`; the front matter's top-level `key: value` lines. */
function splitFrontMatter(text: string): { fields: Map<string, string>; body: string } | null {
  const match = /^---[ \t]*\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)([\s\S]*)$/.exec(text);
  if (match === null) return null;
  const fields = new Map<string, string>();
  for (const line of (match[1] ?? '').split(/\r?\n/)) {
    const field = /^([A-Za-z_][\w-]*):(.*)$/.exec(line);
    if (field !== null) fields.set(field[1] ?? '', scalar(field[2] ?? ''));
  }
  return { fields, body: match[2] ?? '' };
}

/** A SKILL.md text: front matter with `name` and `description` (400 naming what is missing). */
export function skillFromMarkdown(text: string): Skill {
  const parts = splitFrontMatter(text);
  if (parts === null) throw new AppError('INVALID_ARGUMENT', 'SKILL.md must start with front matter (---)');
  const raw = { name: parts.fields.get('name'), description: parts.fields.get('description') };
  if (raw.description === undefined) {
    throw new AppError('INVALID_ARGUMENT', 'SKILL.md front matter needs a description', {
      fields: [{ field: 'description', message: 'required' }],
    });
  }
  return parseInput(dictSchema, { ...raw, content: parts.body.trim() }, 'skill');
}

function parameterLines(schema: z.infer<typeof mcpSchema>['inputSchema']): string[] {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).map(([name, p]) => {
    const type = typeof p.type === 'string' ? p.type : 'any';
    const need = required.has(name) ? 'required' : 'optional';
    return `- **${name}** (${type}, ${need}): ${p.description ?? ''}`.trimEnd();
  });
}

/** An MCP tool description; its name's `_` become `-`, as OpenViking converts them. */
function skillFromMcp(tool: z.infer<typeof mcpSchema>): Skill {
  const name = parseInput(z.object({ name: skillName }), { name: tool.name.replaceAll('_', '-') }, 'skill');
  const params = parameterLines(tool.inputSchema);
  const content = [
    `# ${name.name}`,
    '',
    tool.description,
    ...(params.length > 0 ? ['', '## Parameters', '', ...params] : []),
    '',
    '## Usage',
    '',
    `This skill wraps the MCP tool \`${tool.name}\`; use it when a task matches the description above.`,
  ].join('\n');
  return { name: name.name, description: tool.description, content };
}

/** A skill from add_skill's `data` (string, dict or MCP tool); 400 for anything else. */
export function skillFromData(data: unknown): Skill {
  if (typeof data === 'string') return skillFromMarkdown(data);
  if (typeof data === 'object' && data !== null && !Array.isArray(data)) {
    if (Object.hasOwn(data, 'inputSchema')) return skillFromMcp(parseInput(mcpSchema, data, 'MCP tool'));
    return parseInput(dictSchema, data, 'skill');
  }
  throw new AppError('INVALID_ARGUMENT', 'data must be a SKILL.md text, a skill object or an MCP tool');
}

/** SKILL.md: front matter (values JSON-quoted, which YAML reads as double-quoted scalars) and body. */
export function renderSkill(skill: Skill): string {
  const front = `---\nname: ${skill.name}\ndescription: ${JSON.stringify(skill.description)}\n---\n`;
  return `${front}\n${skill.content.trim()}\n`;
}

/** `.abstract.md` of a skill folder: its description (or its name). */
export function skillAbstract(skill: Skill): string {
  return `${skill.description.trim() || skill.name}\n`;
}

/** `.overview.md` of a skill folder: name, description and the body's headings, extractively. */
export function skillOverview(skill: Skill): string {
  const headings = skill.content
    .split('\n')
    .filter((line) => /^#{1,3} /.test(line))
    .map((line) => `- ${line.replace(/^#+ /, '')}`);
  const sections = headings.length > 0 ? ['', '## Sections', '', ...headings] : [];
  return [`# ${skill.name}`, '', skill.description.trim(), ...sections, ''].join('\n');
}
