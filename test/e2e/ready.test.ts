/** `/ready` reports the indexer and the index: 200 while both work, 503 once the indexer stopped. */
import request from 'supertest';
import { fullApp } from '../helpers/full-app.js';

test('/ready is 200 with its checks while running and 503 after the indexer stops', async () => {
  const full = await fullApp();
  try {
    const ready = await request(full.app).get('/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({
      status: 'ok',
      result: { ready: true, checks: { index: 'ok', indexer: 'ok' } },
    });
    await full.services.pipeline.stop();
    const stopped = await request(full.app).get('/ready');
    expect(stopped.status).toBe(503);
    expect(stopped.body).toMatchObject({
      status: 'error',
      error: { code: 'UNAVAILABLE', details: { checks: { index: 'ok', indexer: 'stopped' } } },
    });
  } finally {
    await full.close();
  }
});
