/**
 * `npm run reindex -- [account] [--reset]`: rebuilds the index from the filesystem (SPEC 9.3).
 * Without an account every account on disk is re-indexed, starting from an empty table when the
 * configured embedder differs from the index's (or with `--reset`). Reads DATA_DIR, LANCEDB_URI, EMBEDDER and EMBEDDING_MODEL like
 * the server. Stop the server first: a running server does not see a reset table.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { createEmbedder } from '../src/index/embedders/select.js';
import { reindexAccount, reindexAll } from '../src/index/reindex.js';
import { IndexStore } from '../src/index/store.js';
import { logger } from '../src/log.js';
import { DEFAULT_POLICY, validateId, type NamespacePolicy } from '../src/policy/index.js';
import { systemDir } from '../src/storage/paths.js';

const envSchema = z.object({
  DATA_DIR: z.string().min(1).default('./data/store'),
  LANCEDB_URI: z.string().min(1).optional(),
  EMBEDDER: z.enum(['auto', 'builtin', 'transformers']).default('auto'),
  EMBEDDING_MODEL: z.string().min(1).optional(),
});

const settingSchema = z.object({
  namespace: z.object({ isolate_user_scope_by_agent: z.boolean(), isolate_agent_scope_by_user: z.boolean() }),
});

/** An account's policy from `_system/setting.json`; accounts without one (trusted/dev mode) are false/false. */
async function policyOf(dataDir: string, account_id: string): Promise<NamespacePolicy> {
  try {
    const text = await readFile(join(systemDir(dataDir, account_id), 'setting.json'), 'utf8');
    return settingSchema.parse(JSON.parse(text)).namespace;
  } catch {
    return DEFAULT_POLICY;
  }
}

async function main(argv: readonly string[]): Promise<void> {
  const env = envSchema.parse(Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== '')));
  const account = argv.find((a) => !a.startsWith('--'));
  if (account !== undefined) validateId(account, 'account');
  const uri = env.LANCEDB_URI ?? join(env.DATA_DIR, 'lancedb');
  const indexed = argv.includes('--reset') ? null : await IndexStore.storedIdentity(uri);
  const embedder = await createEmbedder({
    embedder: env.EMBEDDER,
    ...(env.EMBEDDING_MODEL === undefined ? {} : { model: env.EMBEDDING_MODEL }),
    cacheDir: join('data', 'models'),
    indexed,
    log: logger,
  });
  // A full re-index with another embedder than the index's starts from an empty table.
  const changed =
    indexed !== null && (indexed.id !== embedder.id || indexed.dimension !== embedder.dimension);
  const reset = argv.includes('--reset') || (account === undefined && changed);
  if (reset && account !== undefined) throw new Error('--reset rebuilds every account; do not name one');
  const store = await IndexStore.open({ uri, embedder, reset });
  try {
    const deps = {
      dataDir: env.DATA_DIR,
      store,
      embedder,
      log: logger,
      policyOf: (a: string) => policyOf(env.DATA_DIR, a),
    };
    const accounts = account === undefined ? await reindexAll(deps) : [account];
    if (account !== undefined) await reindexAccount(deps, account);
    if (reset) logger.info({ embedder: embedder.id }, 'index rebuilt from scratch');
    process.stdout.write(
      `reindexed ${accounts.length} account(s); ${await store.countRows()} records with ${embedder.id}\n`,
    );
  } finally {
    store.close();
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`reindex failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
