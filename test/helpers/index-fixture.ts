/** A real pipeline over a temporary DATA_DIR and LanceDB, with helpers to change files on disk. */
import { mkdir, rm, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { IndexPipeline, type PipelineOptions } from '../../src/indexing/pipeline.js';
import type { MessageSource } from '../../src/indexing/records.js';
import { IndexStore } from '../../src/index/store.js';
import { logger } from '../../src/log.js';
import { and, eq, subtree, type NamespacePolicy } from '../../src/policy/index.js';
import { indexedMessages, sessionReader } from '../../src/sessions/reader.js';
import { LocalFileStorage } from '../../src/storage/local-files.js';
import { pathOfUri } from '../../src/storage/paths.js';
import { HashEmbedder } from './test-embedder.js';
import { tempDir } from './temp-dir.js';

export const FALSE_FALSE: NamespacePolicy = {
  isolate_user_scope_by_agent: false,
  isolate_agent_scope_by_user: false,
};

export class IndexFixture {
  readonly dataDir: string;
  readonly lanceUri: string;
  readonly embedder = new HashEmbedder();
  readonly policies = new Map<string, NamespacePolicy>();
  readonly messages = new Map<string, MessageSource>();
  /** Accounts whose policy lookup fails (a broken account registry). */
  readonly failing = new Set<string>();
  store!: IndexStore;
  pipeline!: IndexPipeline;

  constructor(readonly dir: { path: string; remove: () => void } = tempDir('vs-index-')) {
    this.dataDir = join(dir.path, 'store');
    this.lanceUri = join(dir.path, 'lancedb');
  }

  /**
   * Starts the pipeline; `embedder` replaces the hash embedder for indexing (same id and dimension),
   * `journal` the file queue of the data directory.
   */
  async start(
    options: Partial<
      Pick<PipelineOptions, 'batchSize' | 'maxLagS' | 'embedder' | 'journal' | 'worker' | 'afterApplied'>
    > = {},
  ): Promise<this> {
    this.store = await IndexStore.open({ uri: this.lanceUri, embedder: this.embedder });
    this.pipeline = new IndexPipeline({
      dataDir: this.dataDir,
      files: new LocalFileStorage(this.dataDir),
      store: this.store,
      embedder: this.embedder,
      policyOf: (account) =>
        this.failing.has(account)
          ? Promise.reject(new Error(`no policy for ${account}`))
          : Promise.resolve(this.policies.get(account) ?? FALSE_FALSE),
      // Single messages come from `messages`; message logs on disk are parsed as sessions do.
      messages: {
        message: (account, session, id) =>
          Promise.resolve(this.messages.get(`${account}/${session}/${id}`) ?? null),
        messagesIn: (text, where) => indexedMessages(sessionReader(this.dataDir)).messagesIn(text, where),
      },
      log: logger,
      retryDelayMs: 5,
      ...options,
    });
    await this.pipeline.start();
    return this;
  }

  async write(account: string, uri: string, content: string | Uint8Array): Promise<void> {
    const path = pathOfUri(this.dataDir, account, uri);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content);
  }

  async remove(account: string, uri: string): Promise<void> {
    await rm(pathOfUri(this.dataDir, account, uri), { recursive: true, force: true });
  }

  async move(account: string, from: string, to: string): Promise<void> {
    await mkdir(dirname(pathOfUri(this.dataDir, account, to)), { recursive: true });
    await rename(pathOfUri(this.dataDir, account, from), pathOfUri(this.dataDir, account, to));
  }

  /** Records under a URI (the URI itself and below), sorted by uri, level and chunk. */
  async rows(account: string, uri = 'viking://') {
    const where = and(eq('account_id', account), subtree(uri));
    const rows = await this.store.scan(where);
    return rows.sort(
      (a, b) => a.uri.localeCompare(b.uri) || a.level - b.level || a.chunk_index - b.chunk_index,
    );
  }

  async close(): Promise<void> {
    await this.pipeline.stop();
    await this.store.close();
    this.dir.remove();
  }
}
