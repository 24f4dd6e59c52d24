/**
 * The post-retrieval check: an index record that the filter lets through but whose URI does not derive
 * its stored fields (a poisoned or corrupt record) is dropped, logged and counted in system status.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { loadConfig } from '../../src/config.js';
import { createApp } from '../../src/http/app.js';
import { recordId } from '../../src/indexing/records.js';
import { logger } from '../../src/log.js';
import { buildServices } from '../../src/services.js';
import { createAccounts, ROOT_KEY } from './world.js';

test('a record whose URI is not canonical is never returned and is counted', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vs-integrity-'));
  const services = await buildServices(
    loadConfig({ ROOT_API_KEY: ROOT_KEY, DATA_DIR: dir, EMBEDDER: 'builtin' }),
    logger,
  );
  try {
    const app = createApp(services);
    const [acme] = await createAccounts(app, [
      { isolate_user_scope_by_agent: false, isolate_agent_scope_by_user: false },
    ]);
    const account_id = acme?.id as string;
    const alice = acme?.users[0]?.key as string;
    // Looks like a shared resource to a prefix filter, but really points into bob's scope.
    const uri = 'viking://resources/../user/bob/secret.md';
    const text = 'poisonedzq record';
    const [vector] = await services.embedder.embed([text]);
    const now = Date.now();
    await services.store.upsert([
      {
        id: recordId(account_id, uri, 2, 0),
        account_id,
        uri,
        scope: 'resources',
        owner_user_id: null,
        owner_agent_id: null,
        context_type: 'resource',
        level: 2,
        chunk_index: 0,
        text,
        abstract: text,
        session_id: null,
        message_id: null,
        role: null,
        role_id: null,
        created_at: now,
        updated_at: now,
        vector: vector as Float32Array,
      },
    ]);
    for (const mode of ['vector', 'fulltext', 'hybrid']) {
      const res = await request(app)
        .post('/api/v1/search/find')
        .set('X-API-Key', alice)
        .send({ query: 'poisonedzq', mode, explain: true });
      expect(res.status).toBe(200);
      expect(JSON.stringify(res.body)).not.toContain('poisonedzq record');
      expect((res.body as { result: { explain: { dropped: number } } }).result.explain.dropped).toBe(1);
    }
    const status = await request(app).get('/api/v1/system/status').set('X-API-Key', ROOT_KEY);
    expect((status.body as { result: { integrity_errors: number } }).result.integrity_errors).toBe(3);
  } finally {
    await services.close();
    await rm(dir, { recursive: true, force: true });
  }
});
