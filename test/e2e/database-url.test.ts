/**
 * Until the server is wired onto PostgreSQL, a DATABASE_URL must stop the start with a message, never
 * run the embedded mode on local files while the operator believes the data is in PostgreSQL.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config.js';
import { logger } from '../../src/log.js';
import { buildServices } from '../../src/services.js';

test('a DATABASE_URL refuses to start the embedded mode and touches no DATA_DIR', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vs-dburl-'));
  try {
    const dataDir = join(dir, 'data');
    const config = loadConfig({
      DATA_DIR: dataDir,
      EMBEDDER: 'builtin',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/vikingscope',
    });
    const started = buildServices(config, logger);
    await expect(started).rejects.toBeInstanceOf(ConfigError);
    await expect(started).rejects.toThrow(/DATABASE_URL.*unset DATABASE_URL to run the embedded mode/);
    expect(await readdir(dir)).toEqual([]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
