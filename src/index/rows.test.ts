import { COLUMN_NAMES, COLUMNS } from '../policy/index.js';
import { DRAFT_COLUMNS, parseDraft, parseHit } from './rows.js';

/** A row of every column but the vector, as a scan returns it: text 'x', numbers 1. */
function row(): Record<string, unknown> {
  return Object.fromEntries(DRAFT_COLUMNS.map((name) => [name, COLUMNS[name].kind === 'string' ? 'x' : 1]));
}

test('a full row parses into a draft and a hit (the hit without its text), scores kept', () => {
  const draft = parseDraft({ ...row(), _score: 2.5 });
  expect(draft).toEqual({ ...row(), _score: 2.5 });
  const hit = parseHit({ ...row(), _distance: 0.5 });
  expect(Object.keys(hit).sort()).toEqual(
    [...COLUMN_NAMES.filter((n) => n !== 'text' && n !== 'vector'), '_distance'].sort(),
  );
});

// The parsers repeat the column table's kinds and nullability; these hold them to it.
test.each(DRAFT_COLUMNS.map((name) => [name, COLUMNS[name].nullable] as const))(
  'column %s: null accepted exactly when the column table says nullable (%s)',
  (name, nullable) => {
    const parse = () => parseDraft({ ...row(), [name]: null });
    if (nullable) expect(parse()).toMatchObject({ [name]: null });
    else expect(parse).toThrow();
  },
);

test.each(DRAFT_COLUMNS.map((name) => [name, COLUMNS[name].kind] as const))(
  'column %s (%s) refuses a value of the other kind',
  (name, kind) => {
    expect(() => parseDraft({ ...row(), [name]: kind === 'string' ? 1 : 'x' })).toThrow();
  },
);
