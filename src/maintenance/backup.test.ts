import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { logger } from '../log.js';
import { DEFAULT_POLICY, type RequestContext } from '../policy/types.js';
import { WriteGate } from '../storage/gate.js';
import { BackupService } from './backup.js';

const as = (role: RequestContext['role']): RequestContext => ({
  role,
  policy: DEFAULT_POLICY,
  effective: { account_id: 'default', user_id: 'default', agent_id: 'default' },
});

let work: string;
let steps: string[];
let backups: BackupService;

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'vs-backup-service-'));
  await mkdir(join(work, 'data'));
  await writeFile(join(work, 'data', 'note.txt'), 'kept');
  steps = [];
  backups = new BackupService({
    location: { dataDir: join(work, 'data'), lancedbUri: join(work, 'index') },
    gate: new WriteGate(),
    pipeline: {
      pause: () => {
        steps.push('pause');
        return Promise.resolve(() => steps.push('resume'));
      },
    },
    store: {
      settled: () => {
        steps.push('settled');
        return Promise.resolve();
      },
    },
    log: logger,
  });
});

afterEach(() => rm(work, { recursive: true, force: true }));

test.each(['admin', 'user'] as const)('%s may not take a backup, and nothing is paused', async (role) => {
  await expect(backups.take(as(role), join(work, 'copy'))).rejects.toMatchObject({
    code: 'PERMISSION_DENIED',
  });
  expect(steps).toEqual([]);
});

test('ROOT copies the store with the indexer paused and the index settled, then resumes it', async () => {
  const manifest = await backups.take(as('root'), join(work, 'copy'));
  expect(manifest.format).toBeDefined();
  expect(await readFile(join(work, 'copy', 'data', 'note.txt'), 'utf8')).toBe('kept');
  expect(steps).toEqual(['pause', 'settled', 'resume']);
});
