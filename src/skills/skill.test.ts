import { isAppError } from '../errors.js';
import { renderSkill, skillFromData, skillFromMarkdown, skillOverview } from './skill.js';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return isAppError(error) ? error.code : 'not an AppError';
  }
  return 'no error';
}

describe('skillFromData', () => {
  test.each([
    ['plain front matter', '---\nname: search-web\ndescription: Finds pages\n---\n# Body\n', 'Finds pages'],
    [
      'double-quoted',
      '---\nname: "search-web"\ndescription: "Finds: \\"pages\\""\n---\nbody',
      'Finds: "pages"',
    ],
    ['single-quoted', "---\nname: search-web\ndescription: 'It''s fast'\n---\nbody", "It's fast"],
    ['CRLF line ends', '---\r\nname: search-web\r\ndescription: x\r\n---\r\nbody', 'x'],
  ])('a SKILL.md text with %s', (_, text, description) => {
    const skill = skillFromData(text);
    expect(skill.name).toBe('search-web');
    expect(skill.description).toBe(description);
  });

  test('a dict keeps its content; an MCP tool gets a body with its parameters', () => {
    expect(skillFromData({ name: 'a_b', description: 'd', content: '# A' })).toEqual({
      name: 'a_b',
      description: 'd',
      content: '# A',
    });
    const mcp = skillFromData({
      name: 'calc_tool',
      description: 'Calculates',
      inputSchema: {
        properties: { expr: { type: 'string', description: 'an expression' } },
        required: ['expr'],
      },
    });
    expect(mcp.name).toBe('calc-tool');
    expect(mcp.content).toContain('- **expr** (string, required): an expression');
    expect(mcp.content).toContain('`calc_tool`');
  });

  test.each([
    ['no front matter', '# just markdown'],
    ['no name', '---\ndescription: x\n---\nbody'],
    ['no description', '---\nname: a\n---\nbody'],
    ['a path as name', '---\nname: ../etc\ndescription: x\n---\n'],
    ['a dot name', { name: '.hidden', description: 'x' }],
    ['a slash in the name', { name: 'a/b', description: 'x' }],
    ['a number', 42],
    ['a list', ['a']],
    ['an MCP tool with a bad name', { name: 'x/y', inputSchema: {} }],
  ])('%s is INVALID_ARGUMENT', (_, data) => {
    expect(codeOf(() => skillFromData(data))).toBe('INVALID_ARGUMENT');
  });
});

describe('renderSkill', () => {
  test('round-trips through skillFromMarkdown, whatever the description holds', () => {
    const skill = { name: 'x', description: 'a: "b" # c\nsecond line', content: '# Title\n\ntext' };
    expect(skillFromMarkdown(renderSkill(skill))).toEqual(skill);
  });

  test('the overview lists the headings of the body', () => {
    const overview = skillOverview({ name: 'x', description: 'd', content: '# One\ntext\n## Two\n' });
    expect(overview).toBe('# x\n\nd\n\n## Sections\n\n- One\n- Two\n');
  });
});
