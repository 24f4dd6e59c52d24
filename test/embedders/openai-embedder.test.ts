/**
 * EMBEDDER=openai against a local OpenAI-compatible server of the test's own: batching and order,
 * the bearer key, retries on 429/5xx, errors that name the setting, a dimension that changes, the
 * configuration rules, and a search served end to end with its vectors.
 */
import { ConfigError, loadConfig } from '../../src/config.js';
import { createBuiltinEmbedder } from '../../src/embedders/builtin.js';
import { dot } from '../../src/embedders/vector.js';
import { createOpenAiEmbedder, OPENAI_BATCH } from '../../src/embedders/openai.js';
import { createEmbedder } from '../../src/embedders/select.js';
import { logger } from '../../src/log.js';
import { fullApp } from '../helpers/full-app.js';
import { startFakeModelServer, type FakeModelServer } from '../helpers/openai-server.js';

let server: FakeModelServer;
const fast = { attempts: 3, backoffMs: 1, timeoutMs: 2000 };

beforeEach(async () => {
  server = await startFakeModelServer();
});
afterEach(async () => {
  await server.close();
});

test('embeds in batches, in input order, normalised, with the bearer key', async () => {
  const embedder = await createOpenAiEmbedder({
    baseUrl: server.baseUrl,
    apiKey: 'sk-test',
    model: 'm1',
    endpoint: fast,
  });
  expect(embedder).toMatchObject({ id: 'openai:m1', dimension: 384 });
  const texts = Array.from({ length: OPENAI_BATCH * 2 + 3 }, (_, i) => `text number ${i} about item${i}`);
  server.requests.length = 0;
  const vectors = await embedder.embed(texts);
  expect(server.requests).toHaveLength(3);
  expect(server.requests.every((r) => r.authorization === 'Bearer sk-test')).toBe(true);
  expect(server.requests[0]?.body).toMatchObject({ model: 'm1' });
  const expected = await createBuiltinEmbedder().embed(texts);
  expect(vectors).toHaveLength(texts.length);
  // Each vector is the built-in one for the same text (JSON round trip aside): order kept by `index`.
  vectors.forEach((v, i) => expect(dot(v, expected[i] ?? new Float32Array())).toBeCloseTo(1, 5));
});

test('retries 429 and 5xx, then succeeds; gives up with an error naming the setting', async () => {
  const embedder = await createOpenAiEmbedder({ baseUrl: server.baseUrl, model: 'm1', endpoint: fast });
  server.failures.push(429, 503);
  await expect(embedder.embed(['hello'])).resolves.toHaveLength(1);
  server.failures.push(500, 502, 503);
  await expect(embedder.embed(['hello'])).rejects.toMatchObject({
    code: 'UNAVAILABLE',
    message: expect.stringContaining('EMBEDDING_BASE_URL'),
    details: { setting: 'EMBEDDING_BASE_URL', status: 503 },
  });
  server.failures.push(400);
  const before = server.requests.length;
  await expect(embedder.embed(['hello'])).rejects.toMatchObject({ details: { status: 400 } });
  expect(server.requests.length - before).toBe(1); // a 400 is not retried
});

test('an unreachable or silent server is an error naming EMBEDDING_BASE_URL and the URL', async () => {
  const url = server.baseUrl;
  await server.close();
  await expect(createOpenAiEmbedder({ baseUrl: url, model: 'm1', endpoint: fast })).rejects.toMatchObject({
    code: 'UNAVAILABLE',
    message: expect.stringMatching(/127\.0\.0\.1.*unreachable.*EMBEDDING_BASE_URL/),
  });
  server = await startFakeModelServer();
  server.failures.push('hang');
  await expect(
    createOpenAiEmbedder({
      baseUrl: server.baseUrl,
      model: 'm1',
      endpoint: { attempts: 1, timeoutMs: 200 },
    }),
  ).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED', details: { setting: 'EMBEDDING_BASE_URL' } });
});

test('a server whose vectors change length is refused, naming the settings', async () => {
  const embedder = await createOpenAiEmbedder({ baseUrl: server.baseUrl, model: 'm1', endpoint: fast });
  server.dimension = 128;
  await expect(embedder.embed(['hello'])).rejects.toMatchObject({
    code: 'FAILED_PRECONDITION',
    message: expect.stringContaining('EMBEDDING_DIMENSION'),
    details: { expected: 384, got: 128 },
  });
  // EMBEDDING_DIMENSION is sent, and an answer of another length is refused at start.
  await expect(
    createOpenAiEmbedder({ baseUrl: server.baseUrl, model: 'm1', dimension: 256, endpoint: fast }),
  ).rejects.toMatchObject({ details: { expected: 256, got: 128 } });
  expect(server.requests.at(-1)?.body).toMatchObject({ dimensions: 256 });
});

test('configuration: openai needs its server and model; LLM settings come together', () => {
  expect(() => loadConfig({ EMBEDDER: 'openai' })).toThrow(ConfigError);
  expect(() => loadConfig({ EMBEDDER: 'openai', EMBEDDING_MODEL: 'm' })).toThrow(/EMBEDDING_BASE_URL/);
  expect(() => loadConfig({ EMBEDDING_BASE_URL: 'ftp://x' })).toThrow(/EMBEDDING_BASE_URL/);
  expect(() => loadConfig({ LLM_BASE_URL: 'http://127.0.0.1:1/v1' })).toThrow(/LLM_MODEL/);
  const config = loadConfig({
    EMBEDDER: 'openai',
    EMBEDDING_BASE_URL: 'http://127.0.0.1:1/v1',
    EMBEDDING_MODEL: 'm',
    EMBEDDING_DIMENSION: '64',
    LLM_BASE_URL: 'http://127.0.0.1:2/v1',
    LLM_MODEL: 'chat',
  });
  expect(config).toMatchObject({
    embedder: 'openai',
    embeddingDimension: 64,
    llm: { baseUrl: 'http://127.0.0.1:2/v1', model: 'chat', apiKey: undefined },
  });
  expect(loadConfig({}).llm).toBeNull();
});

test('auto over an index built by an openai model reuses it, or says what is missing', async () => {
  const indexed = { id: 'openai:m1', dimension: 384 };
  const base = { embedder: 'auto' as const, cacheDir: '/nonexistent', indexed, log: logger };
  await expect(createEmbedder({ ...base, openai: { baseUrl: server.baseUrl } })).resolves.toMatchObject({
    id: 'openai:m1',
  });
  await expect(createEmbedder(base)).rejects.toMatchObject({
    code: 'FAILED_PRECONDITION',
    message: expect.stringContaining('EMBEDDING_BASE_URL'),
  });
});

test('a service on EMBEDDER=openai indexes and finds through the model server', async () => {
  const app = await fullApp({
    env: { EMBEDDER: 'openai', EMBEDDING_BASE_URL: server.baseUrl, EMBEDDING_MODEL: 'm1' },
    accounts: [{ account_id: 'acme', users: ['alice'] }],
  });
  try {
    const alice = app.client({ account: 'acme', user: 'alice' });
    await alice
      .post('/api/v1/content/write')
      .send({ uri: 'viking://resources/notes/zebra.md', content: 'zebras graze at dawn', wait: true })
      .expect(200);
    const found = await alice.post('/api/v1/search/find').send({ query: 'zebras graze' }).expect(200);
    const { result } = found.body as { result: { resources: { uri: string }[] } };
    expect(result.resources[0]).toMatchObject({ uri: 'viking://resources/notes/zebra.md' });
    expect(server.requests.some((r) => r.path === '/v1/embeddings')).toBe(true);
  } finally {
    await app.close();
  }
});
