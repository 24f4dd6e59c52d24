// Size metrics of src/ (issue 16's before/after): lines, files over 300 lines, functions over 40
// lines and `as` casts (issue 27's definition: `as const` and typed-array reads excluded), counted on the TypeScript syntax tree, and each
// top-level folder's share of the lines (issue 27: none over 20 %; files directly in the folder
// count as `(top)`). Test files are left out. Usage: node scripts/code-metrics.mjs [folder] [--list]
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import ts from 'typescript';

const root = process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 'src';
const list = process.argv.includes('--list');
const FILE_LINES = 300;
const FUNCTION_LINES = 40;
const FOLDER_SHARE = 0.2;

function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return /\.ts$/.test(entry.name) && !/\.(test|d)\.ts$/.test(entry.name) ? [path] : [];
  });
}

/** Typed-array types: `x as Float32Array` reads a typed array out of an untyped column or buffer. */
const TYPED_ARRAYS = new Set([
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
]);

const files = sources(root);
/** The type checker tells typed-array element reads from other indexed reads. */
const program = ts.createProgram(files, { target: ts.ScriptTarget.ES2022, noUncheckedIndexedAccess: true });
const checker = program.getTypeChecker();

const isTypedArray = (type) => TYPED_ARRAYS.has(type.getSymbol()?.getName() ?? '');

/**
 * A type assertion as issue 27 counts them: `<T>x` and `x as T`, except `as const` and typed-array
 * reads — an element of a typed array (`f32[i] as number`: an index read is `number | undefined`
 * under noUncheckedIndexedAccess) or a typed array read out of an untyped value (`x as Float32Array`,
 * also `| null`). `import * as`/`export * as` and `as` in comments or strings are not expressions,
 * so the syntax tree never counts them.
 */
function isCast(node) {
  if (ts.isTypeAssertionExpression(node)) return true;
  if (!ts.isAsExpression(node)) return false;
  if (ts.isTypeReferenceNode(node.type) && node.type.typeName.getText() === 'const') return false;
  const inner = ts.isParenthesizedExpression(node.expression) ? node.expression.expression : node.expression;
  if (ts.isElementAccessExpression(inner) && isTypedArray(checker.getTypeAtLocation(inner.expression)))
    return false;
  const parts = ts.isUnionTypeNode(node.type) ? node.type.types : [node.type];
  const typedArray = (t) => ts.isTypeReferenceNode(t) && TYPED_ARRAYS.has(t.typeName.getText());
  const nullish = (t) =>
    t.kind === ts.SyntaxKind.UndefinedKeyword ||
    (ts.isLiteralTypeNode(t) && t.literal.kind === ts.SyntaxKind.NullKeyword);
  return !(parts.some(typedArray) && parts.every((t) => typedArray(t) || nullish(t)));
}

const totals = { files: 0, lines: 0, largeFiles: [], longFunctions: [], casts: 0, castList: [] };
/** Lines per top-level folder of `root`. */
const folders = new Map();
for (const path of files) {
  const text = readFileSync(path, 'utf8');
  const file = program.getSourceFile(path);
  const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  totals.files += 1;
  totals.lines += lines;
  const parts = relative(root, path).split(sep);
  const folder = parts.length > 1 ? `${parts[0]}/` : '(top)';
  folders.set(folder, (folders.get(folder) ?? 0) + lines);
  if (lines > FILE_LINES) totals.largeFiles.push(`${path} (${lines})`);
  const visit = (node) => {
    if (isCast(node)) {
      totals.casts += 1;
      const line = file.getLineAndCharacterOfPosition(node.getStart()).line + 1;
      totals.castList.push(`cast ${path}:${line} ${node.getText().replace(/\s+/g, ' ').slice(0, 80)}`);
    }
    if (ts.isFunctionLike(node) && 'body' in node && node.body !== undefined) {
      const start = file.getLineAndCharacterOfPosition(node.getStart()).line;
      const end = file.getLineAndCharacterOfPosition(node.getEnd()).line;
      if (end - start + 1 > FUNCTION_LINES)
        totals.longFunctions.push(`${path}:${start + 1} (${end - start + 1})`);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
}

console.log(
  `${root}: ${totals.files} files, ${totals.lines} lines, ${totals.largeFiles.length} files over ${FILE_LINES} lines, ` +
    `${totals.longFunctions.length} functions over ${FUNCTION_LINES} lines, ${totals.casts} \`as\` casts`,
);
if (list)
  for (const entry of [...totals.largeFiles, ...totals.longFunctions, ...totals.castList])
    console.log(`  ${entry}`);

const shares = [...folders].sort((a, b) => b[1] - a[1]);
const over = shares.filter(([, lines]) => lines > totals.lines * FOLDER_SHARE);
const percent = (lines) => `${((100 * lines) / totals.lines).toFixed(1)} %`;
console.log(
  `folders: ${over.length} over ${FOLDER_SHARE * 100} % of the lines; ` +
    shares.map(([folder, lines]) => `${folder} ${lines} (${percent(lines)})`).join(', '),
);
