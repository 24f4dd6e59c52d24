import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isAppError } from '../errors.js';
import { TINY_DIMENSION, writeTinyModel } from '../../test/helpers/tiny-model.js';
import { resolveModelSource } from './transformers.js';

const run = promisify(execFile);
const tmp = (): string => mkdtempSync(join(tmpdir(), 'vs-tiny-model-'));

interface ChildResult {
  id: string;
  dimension: number;
  vectors: number[][];
  again: number[][];
}

/**
 * Runs the real pipeline in a child `node` process: onnxruntime-node rejects typed arrays created in
 * jest's VM realm ("A float32 tensor's data must be type of function Float32Array").
 */
async function embedInChild(
  kind: 'auto' | 'transformers',
  modelDir: string,
  texts: string[],
): Promise<ChildResult> {
  const { stdout } = await run(
    process.execPath,
    [
      '--import',
      './test/helpers/ts-register.mjs',
      'test/helpers/embed-with-model.ts',
      kind,
      modelDir,
      JSON.stringify(texts),
    ],
    { env: { ...process.env, LOG_LEVEL: 'silent', NODE_OPTIONS: '' }, timeout: 60_000 },
  );
  return JSON.parse(stdout) as ChildResult;
}

const norm = (v: number[]): number => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

describe('transformers embedder on a generated local model (no network)', () => {
  const texts = ['the cat sat on the mat', 'the dog ran in the park', 'the cat sat on the mat', '', 'zebra'];

  test('loads through the real pipeline: dimension, unit vectors, determinism, distinct texts', async () => {
    const dir = writeTinyModel(tmp());
    const out = await embedInChild('transformers', dir, texts);
    expect(out.id).toBe(`transformers:${dir}`);
    expect(out.dimension).toBe(TINY_DIMENSION);
    expect(out.vectors).toHaveLength(texts.length);
    for (const v of out.vectors) {
      expect(v).toHaveLength(TINY_DIMENSION);
      expect(norm(v)).toBeCloseTo(1, 5);
    }
    expect(out.again).toEqual(out.vectors);
    expect(out.vectors[2]).toEqual(out.vectors[0]);
    expect(out.vectors[1]).not.toEqual(out.vectors[0]);
    // An unknown word maps to [UNK], which still differs from the empty text ([CLS] [SEP] only).
    expect(out.vectors[4]).not.toEqual(out.vectors[3]);
  });

  test('auto with a local quantized model folder picks transformers', async () => {
    const dir = writeTinyModel(tmp(), 'tiny-quantized', true);
    const out = await embedInChild('auto', dir, ['a red cat', 'a blue dog']);
    expect(out.id).toBe(`transformers:${dir}`);
    expect(out.dimension).toBe(TINY_DIMENSION);
    expect(out.vectors[0]).not.toEqual(out.vectors[1]);
  });
});

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return isAppError(error) ? error.code : 'not an AppError';
  }
  return undefined;
}

describe('resolveModelSource', () => {
  test('an existing folder is a local model; the ONNX file name decides quantized', () => {
    const plain = writeTinyModel(tmp(), 'plain');
    expect(resolveModelSource(plain)).toMatchObject({
      kind: 'local',
      name: 'plain',
      quantized: false,
      path: plain,
    });
    const quantized = writeTinyModel(tmp(), 'q', true);
    expect(resolveModelSource(quantized)).toMatchObject({ kind: 'local', quantized: true });
  });

  test.each(['Xenova/all-MiniLM-L6-v2', 'bert-base-uncased'])('%s is a Hugging Face id', (model) => {
    expect(resolveModelSource(model)).toEqual({ kind: 'hub', id: model });
  });

  test.each(['/no/such/folder', './missing-model', '../up/model', 'a/b/c', 'bad id'])(
    '%s is refused without touching the network',
    (model) => {
      expect(codeOf(() => resolveModelSource(model))).toBe('FAILED_PRECONDITION');
    },
  );

  test('a file is not a model folder', () => {
    const file = join(tmp(), 'model.onnx');
    writeFileSync(file, 'not a folder');
    expect(codeOf(() => resolveModelSource(file))).toBe('FAILED_PRECONDITION');
  });
});
