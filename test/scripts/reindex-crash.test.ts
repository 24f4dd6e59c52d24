/**
 * Issue 14, item 1: `npm run reindex` killed with SIGKILL (the compiled script in a child process)
 * at several moments. The next start finds the journaled rebuild unfinished: the accounts not yet
 * rebuilt answer 503 (so does /ready) instead of a silently partial index, the rebuild resumes, and
 * every account ends with exactly the records it had before. The restart uses the builtin embedder
 * behind a gate so that the in-between state is observed before the resumed rebuild finishes.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { createBuiltinEmbedder } from '../../src/embedders/builtin.js';
import { logger } from '../../src/log.js';
import { eq } from '../../src/policy/index.js';
import { buildServices, type Services } from '../../src/services.js';
import { pathOfUri } from '../../src/storage/paths.js';
import { buildProject } from '../helpers/compiled.js';
import { GatedEmbedder } from '../helpers/gated-embedder.js';
import { runScript } from '../helpers/offline-scripts.js';
import { tempDir } from '../helpers/temp-dir.js';

const GATE = 'corpusword';
/** The big account is the second one rebuilt: a kill after the first one lands in the middle of it. */
const SIZES: Record<string, number> = { a1: 20, a2: 800, a3: 20 };
const ACCOUNTS = Object.keys(SIZES);

const work = tempDir('vs-reindex-crash-');
const dataDir = `${work.path}/data`;
let build: { path: string; remove: () => void };
let expected: Record<string, number>;

function writeCorpus(): void {
  for (const [account, size] of Object.entries(SIZES)) {
    for (let i = 0; i < size; i++) {
      const path = pathOfUri(dataDir, account, `viking://resources/docs/f${i}.md`);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, `${GATE} ${account} document ${i}\n`);
    }
  }
}

/** Opens the DATA_DIR in-process as the server would (dev mode, builtin embedder). */
const open = (embedder = createBuiltinEmbedder()): Promise<Services> =>
  buildServices(loadConfig({ DATA_DIR: dataDir, EMBEDDER: 'builtin' }), logger, { embedder });

async function counts(services: Services): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const account of ACCOUNTS) out[account] = await services.store.countRows(eq('account_id', account));
  return out;
}

beforeAll(async () => {
  build = buildProject();
  writeCorpus();
  // The first start finds no index and builds it from the files.
  const services = await open();
  try {
    await services.pipeline.waitIdle();
    expected = await counts(services);
  } finally {
    await services.close();
  }
}, 120_000);

afterAll(() => {
  work.remove();
  build.remove();
});

/** When to kill: once the first account is rebuilt, or as soon as the rebuild is journaled. */
type Moment = 'after-first-account' | 'once-journaled';

function killAt(moment: Moment) {
  return (_done: number | null, child: ChildProcess, stderr: string): void => {
    const due =
      moment === 'after-first-account'
        ? stderr.includes('index rebuilt for an account')
        : stderr.includes('reindex journaled');
    if (due) child.kill('SIGKILL');
  };
}

test('the first start found no index and built it from the files', () => {
  expect(expected).toEqual(SIZES);
});

test.each<[string[], Moment]>([
  [[], 'after-first-account'],
  [['--reset'], 'after-first-account'],
  [['--reset'], 'once-journaled'],
  [['a2'], 'once-journaled'],
])('reindex %j killed %s: resumed at the next start, 503 until done, nothing lost', async (args, moment) => {
  const run = await runScript(build.path, 'reindex', dataDir, args, { LOG_LEVEL: 'info' }, killAt(moment));
  expect(run.signal).toBe('SIGKILL');

  const gated = new GatedEmbedder(createBuiltinEmbedder());
  gated.close(GATE);
  const services = await open(gated);
  try {
    await gated.reached(GATE);
    const ready = await services.observer.readiness();
    expect(ready).toEqual({ ok: false, checks: { index: 'rebuilding', indexer: 'ok', storage: 'ok' } });
    await expect(services.guard.assertSearchable('a2')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    gated.open(GATE);
    await services.pipeline.waitIdle();
    expect(await counts(services)).toEqual(expected);
    expect((await services.observer.readiness()).ok).toBe(true);
    await expect(services.guard.assertSearchable('a2')).resolves.toBeUndefined();
  } finally {
    gated.open(GATE);
    await services.close();
  }
});
