import { availableParallelism } from 'node:os';
import { ConfigError, isLoopbackHost, loadConfig } from './config.js';

describe('loadConfig', () => {
  test('defaults (SPEC 13): no root key means dev mode', () => {
    expect(loadConfig({})).toEqual({
      port: 1933,
      host: '127.0.0.1',
      indexJobLeaseMs: 30000,
      databasePoolMax: 10,
      dataDir: './data/store',
      rootApiKey: undefined,
      authMode: 'dev',
      lancedbUri: 'data/store/lancedb',
      embedder: 'auto',
      embeddingModel: undefined,
      embeddingBaseUrl: undefined,
      embeddingApiKey: undefined,
      embeddingDimension: undefined,
      llm: null,
      logLevel: 'info',
      maxBodyBytes: 10 * 1024 * 1024,
      maxFileBytes: 10 * 1024 * 1024,
      maxUploadBytes: 64 * 1024 * 1024,
      allowPrivateUrls: false,
      maxIndexLagS: 5,
      maxSearchInflight: 8,
      maxSearchQueue: 32,
      searchMemoryBytes: 3072 * 1024 * 1024,
      // One fewer than the cores (the calling thread scans too), at most 3.
      searchThreads: Math.max(0, Math.min(3, availableParallelism() - 1)),
      lancedbIndexCacheBytes: 8 * 1024 * 1024,
      lancedbMetadataCacheBytes: 8 * 1024 * 1024,
      heapGrowthPercent: 50,
      requestTimeoutMs: 60_000,
      headersTimeoutMs: 20_000,
      keepAliveTimeoutMs: 5_000,
      maxConnections: 1024,
      maxConnectionsPerClient: 64,
      firstRequestTimeoutMs: 5_000,
      shutdownTimeoutMs: 10_000,
      databaseUrl: undefined,
      role: 'all',
      parse: {
        // One core stays for the event loop; at most 4.
        workers: Math.max(1, Math.min(4, availableParallelism() - 1)),
        maxQueue: 32,
        maxQueuePerAccount: 8,
        maxWaitMs: 10_000,
        memoryMb: 256,
        timeoutMs: 20_000,
        archiveTimeoutMs: 60_000,
        maxPdfPages: 2000,
        maxHtmlDepth: 1000,
        zipMaxEntries: 10_000,
        zipMaxRatio: 200,
      },
    });
  });

  test('every variable is read', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      DATA_DIR: '/srv/vs',
      ROOT_API_KEY: 'secret',
      AUTH_MODE: 'api_key',
      LANCEDB_URI: 's3://bucket/prefix',
      EMBEDDER: 'transformers',
      EMBEDDING_MODEL: 'Xenova/all-MiniLM-L6-v2',
      LOG_LEVEL: 'debug',
      MAX_BODY_BYTES: '2048',
      MAX_FILE_BYTES: '4096',
      MAX_UPLOAD_BYTES: '8192',
      ALLOW_PRIVATE_URLS: 'true',
      MAX_INDEX_LAG_S: '0.5',
      MAX_SEARCH_INFLIGHT: '2',
      MAX_SEARCH_QUEUE: '0',
      SEARCH_MEMORY_MB: '0',
      SEARCH_THREADS: '0',
      LANCEDB_INDEX_CACHE_MB: '16',
      LANCEDB_METADATA_CACHE_MB: '8',
      HEAP_GROWTH_PERCENT: '0',
      REQUEST_TIMEOUT_S: '30',
      HEADERS_TIMEOUT_S: '45',
      KEEPALIVE_TIMEOUT_S: '2.5',
      MAX_CONNECTIONS: '10',
      MAX_CONNECTIONS_PER_CLIENT: '4',
      FIRST_REQUEST_TIMEOUT_S: '1.5',
      SHUTDOWN_TIMEOUT_S: '3',
      DATABASE_URL: 'postgres://vs:pw@db.internal:5432/vikingscope',
      ROLE: 'worker',
      INDEX_JOB_LEASE_S: '3',
      DATABASE_POOL_MAX: '4',
      PARSE_WORKERS: '2',
      PARSE_QUEUE: '10',
      PARSE_QUEUE_PER_ACCOUNT: '3',
      PARSE_QUEUE_WAIT_S: '2',
      PARSE_MEMORY_MB: '128',
      PARSE_TIMEOUT_S: '5',
      PARSE_ARCHIVE_TIMEOUT_S: '30',
      PDF_MAX_PAGES: '50',
      HTML_MAX_DEPTH: '100',
      ZIP_MAX_ENTRIES: '500',
      ZIP_MAX_RATIO: '50',
    });
    expect(config).toMatchObject({
      indexJobLeaseMs: 3000,
      databasePoolMax: 4,
      port: 8080,
      host: '0.0.0.0',
      dataDir: '/srv/vs',
      rootApiKey: 'secret',
      authMode: 'api_key',
      lancedbUri: 's3://bucket/prefix',
      embedder: 'transformers',
      embeddingModel: 'Xenova/all-MiniLM-L6-v2',
      embeddingBaseUrl: undefined,
      embeddingApiKey: undefined,
      embeddingDimension: undefined,
      llm: null,
      logLevel: 'debug',
      maxBodyBytes: 2048,
      maxFileBytes: 4096,
      maxUploadBytes: 8192,
      allowPrivateUrls: true,
      maxIndexLagS: 0.5,
      maxSearchInflight: 2,
      maxSearchQueue: 0,
      searchMemoryBytes: 0,
      searchThreads: 0,
      lancedbIndexCacheBytes: 16 * 1024 * 1024,
      lancedbMetadataCacheBytes: 8 * 1024 * 1024,
      heapGrowthPercent: 0,
      requestTimeoutMs: 30_000,
      // Node refuses a headers timeout longer than the request timeout.
      headersTimeoutMs: 30_000,
      keepAliveTimeoutMs: 2_500,
      maxConnections: 10,
      maxConnectionsPerClient: 4,
      firstRequestTimeoutMs: 1_500,
      shutdownTimeoutMs: 3_000,
      databaseUrl: 'postgres://vs:pw@db.internal:5432/vikingscope',
      role: 'worker',
      parse: {
        workers: 2,
        maxQueue: 10,
        maxQueuePerAccount: 3,
        maxWaitMs: 2_000,
        memoryMb: 128,
        timeoutMs: 5_000,
        archiveTimeoutMs: 30_000,
        maxPdfPages: 50,
        maxHtmlDepth: 100,
        zipMaxEntries: 500,
        zipMaxRatio: 50,
      },
    });
  });

  test('an account may not have more conversions waiting than the whole queue holds', () => {
    const { parse } = loadConfig({ PARSE_QUEUE: '4', PARSE_QUEUE_PER_ACCOUNT: '16' });
    expect([parse.maxQueue, parse.maxQueuePerAccount]).toEqual([4, 4]);
  });

  test.each(['postgres://postgres@127.0.0.1:5432/vs', 'postgresql://u:p@[::1]/vs?sslmode=require'])(
    'DATABASE_URL %s selects distributed mode',
    (url) => {
      expect(loadConfig({ DATABASE_URL: url }).databaseUrl).toBe(url);
    },
  );

  test.each([
    ['http://db:5432/vs', 'DATABASE_URL'],
    ['postgres//db/vs', 'DATABASE_URL'],
    ['mysql://u:secret-pw@db/vs', 'DATABASE_URL'],
  ])('a malformed DATABASE_URL %s is a ConfigError naming the setting, not its value', (url, name) => {
    expect(() => loadConfig({ DATABASE_URL: url })).toThrow(ConfigError);
    expect(() => loadConfig({ DATABASE_URL: url })).toThrow(name);
    expect(() => loadConfig({ DATABASE_URL: url })).toThrow(/postgres:\/\/ or postgresql:\/\//);
    expect(() => loadConfig({ DATABASE_URL: url })).not.toThrow(/secret-pw/);
  });

  test.each(['api', 'worker'])('ROLE=%s without DATABASE_URL is a ConfigError naming ROLE', (role) => {
    expect(() => loadConfig({ ROLE: role })).toThrow(/ROLE: '\w+' needs DATABASE_URL/);
  });

  test.each([
    [{}, 'dev'],
    [{ ROOT_API_KEY: 'k' }, 'api_key'],
    [{ ROOT_API_KEY: '' }, 'dev'],
    [{ AUTH_MODE: 'trusted' }, 'trusted'],
    [{ AUTH_MODE: 'trusted', ROOT_API_KEY: 'k' }, 'trusted'],
  ])('auth mode of %j is %s', (env, mode) => {
    expect(loadConfig(env).authMode).toBe(mode);
  });

  test('LANCEDB_URI defaults inside DATA_DIR', () => {
    expect(loadConfig({ DATA_DIR: '/x/y' }).lancedbUri).toBe('/x/y/lancedb');
  });

  test.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ AUTH_MODE: 'oauth' }, 'AUTH_MODE'],
    [{ EMBEDDER: 'gpt' }, 'EMBEDDER'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ MAX_BODY_BYTES: '-1' }, 'MAX_BODY_BYTES'],
    [{ MAX_FILE_BYTES: '1.5' }, 'MAX_FILE_BYTES'],
    [{ MAX_INDEX_LAG_S: '0' }, 'MAX_INDEX_LAG_S'],
    [{ MAX_INDEX_LAG_S: 'soon' }, 'MAX_INDEX_LAG_S'],
    [{ MAX_SEARCH_INFLIGHT: '0' }, 'MAX_SEARCH_INFLIGHT'],
    [{ MAX_SEARCH_QUEUE: '-1' }, 'MAX_SEARCH_QUEUE'],
    [{ REQUEST_TIMEOUT_S: '0' }, 'REQUEST_TIMEOUT_S'],
    [{ MAX_CONNECTIONS: '0' }, 'MAX_CONNECTIONS'],
    [{ MAX_CONNECTIONS_PER_CLIENT: '0' }, 'MAX_CONNECTIONS_PER_CLIENT'],
    [{ FIRST_REQUEST_TIMEOUT_S: '-1' }, 'FIRST_REQUEST_TIMEOUT_S'],
    [{ SHUTDOWN_TIMEOUT_S: 'never' }, 'SHUTDOWN_TIMEOUT_S'],
    [{ ROLE: 'leader', DATABASE_URL: 'postgres://db/vs' }, 'ROLE'],
    [{ PARSE_WORKERS: '0' }, 'PARSE_WORKERS'],
    [{ PARSE_QUEUE: '-1' }, 'PARSE_QUEUE'],
    [{ PARSE_QUEUE_PER_ACCOUNT: '0' }, 'PARSE_QUEUE_PER_ACCOUNT'],
    [{ PARSE_QUEUE_WAIT_S: '0' }, 'PARSE_QUEUE_WAIT_S'],
    [{ PARSE_MEMORY_MB: '8' }, 'PARSE_MEMORY_MB'],
    [{ PARSE_TIMEOUT_S: 'long' }, 'PARSE_TIMEOUT_S'],
    [{ PARSE_ARCHIVE_TIMEOUT_S: '-5' }, 'PARSE_ARCHIVE_TIMEOUT_S'],
    [{ PDF_MAX_PAGES: '1.5' }, 'PDF_MAX_PAGES'],
    [{ HTML_MAX_DEPTH: '0' }, 'HTML_MAX_DEPTH'],
    [{ ZIP_MAX_ENTRIES: '65535' }, 'ZIP_MAX_ENTRIES'],
    [{ ZIP_MAX_RATIO: 'many' }, 'ZIP_MAX_RATIO'],
  ])('%j is a ConfigError naming %s', (env, name) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(name);
  });
});

describe('isLoopbackHost', () => {
  test.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['localhost', true],
    ['::1', true],
    ['[::1]', true],
    ['0.0.0.0', false],
    ['::', false],
    ['192.168.1.10', false],
    ['example.com', false],
  ])('%s → %s', (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });
});
