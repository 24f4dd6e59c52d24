import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { AppError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Embedder } from './embedder.js';
import { BUILTIN_ID } from './builtin.js';
import { assertCompatible, createEmbedder } from './select.js';

/** A real pino logger whose lines the test can read. */
function capturingLogger(): { log: Logger; lines: () => { level: number; msg: string }[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done): void {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  const log = pino({ level: 'info' }, stream);
  const lines = (): { level: number; msg: string }[] =>
    chunks
      .join('')
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as { level: number; msg: string });
  return { log, lines };
}

const WARN = 40;
const cacheDir = (): string => mkdtempSync(join(tmpdir(), 'vs-embed-cache-'));

describe('createEmbedder', () => {
  test('builtin is builtin', async () => {
    const { log } = capturingLogger();
    const e = await createEmbedder({ embedder: 'builtin', cacheDir: cacheDir(), log });
    expect(e.id).toBe(BUILTIN_ID);
    expect(e.dimension).toBe(384);
  });

  test('auto with an index built by builtin picks builtin, even when a model is configured', async () => {
    const { log, lines } = capturingLogger();
    const indexed = { id: BUILTIN_ID, dimension: 384 };
    const model = join(cacheDir(), 'no-such-model');
    const e = await createEmbedder({ embedder: 'auto', model, cacheDir: cacheDir(), indexed, log });
    expect(e.id).toBe(BUILTIN_ID);
    expect(lines().filter((l) => l.level >= WARN)).toEqual([]);
  });

  test('auto for a new index with an unloadable model falls back to builtin with one warning', async () => {
    const { log, lines } = capturingLogger();
    const model = join(cacheDir(), 'missing-model-folder');
    const e = await createEmbedder({ embedder: 'auto', model, cacheDir: cacheDir(), indexed: null, log });
    expect(e.id).toBe(BUILTIN_ID);
    const warnings = lines().filter((l) => l.level >= WARN);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.msg).toContain('missing-model-folder');
    expect(warnings[0]?.msg).toContain('EMBEDDER=transformers');
    expect(warnings[0]?.msg).toContain('npm run reindex');
  });

  test('auto for a new index uses the default model only from the cache: empty cache → builtin, no network', async () => {
    const { log, lines } = capturingLogger();
    const e = await createEmbedder({ embedder: 'auto', cacheDir: cacheDir(), log });
    expect(e.id).toBe(BUILTIN_ID);
    expect(lines().filter((l) => l.level >= WARN)).toHaveLength(1);
  });

  test('an explicitly requested model that cannot load is an error, not a silent fallback', async () => {
    const { log } = capturingLogger();
    const model = join(cacheDir(), 'missing');
    await expect(
      createEmbedder({ embedder: 'transformers', model, cacheDir: cacheDir(), log }),
    ).rejects.toMatchObject({
      code: 'FAILED_PRECONDITION',
    });
  });

  test('auto refuses an index built by an unknown embedder', async () => {
    const { log } = capturingLogger();
    const indexed = { id: 'somethingelse:v9', dimension: 3 };
    await expect(
      createEmbedder({ embedder: 'auto', cacheDir: cacheDir(), indexed, log }),
    ).rejects.toMatchObject({
      code: 'FAILED_PRECONDITION',
      message: expect.stringContaining('npm run reindex') as unknown,
    });
  });
});

describe('assertCompatible', () => {
  const builtin: Embedder = { id: BUILTIN_ID, dimension: 384, embed: () => Promise.resolve([]) };

  test.each([
    ['a new index', null],
    ['no index information', undefined],
    ['the same embedder', { id: BUILTIN_ID, dimension: 384 }],
  ])('accepts %s', (_label, indexed) => {
    expect(() => assertCompatible(builtin, indexed)).not.toThrow();
  });

  test.each([
    ['another id', { id: 'transformers:Xenova/all-MiniLM-L6-v2', dimension: 384 }],
    ['another dimension', { id: BUILTIN_ID, dimension: 256 }],
  ])('refuses %s with FAILED_PRECONDITION naming npm run reindex', (_label, indexed) => {
    let caught: unknown;
    try {
      assertCompatible(builtin, indexed);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AppError);
    expect((caught as AppError).code).toBe('FAILED_PRECONDITION');
    expect((caught as AppError).message).toContain('npm run reindex');
    expect((caught as AppError).message).toContain(indexed.id);
  });
});
