/**
 * Configuration (SPEC 13): the environment parsed once with zod into a frozen `Config`. Empty
 * variables count as unset, so `ROOT_API_KEY=` means dev mode rather than an empty key.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import {
  DEFAULT_DOCUMENT_LIMITS,
  DEFAULT_PARSE_POOL,
  type ParsePoolSettings,
} from './resources/parse-jobs.js';
import { DEFAULT_MAX_RATIO } from './resources/zip.js';

const MIB = 1024 * 1024;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const ROLES = ['all', 'api', 'worker'] as const;

/** What a process of distributed mode does (SPEC 14): HTTP and index jobs, HTTP only, or index jobs only. */
export type Role = (typeof ROLES)[number];

/** `api_key` with a root key, `trusted` behind a gateway, or `dev` (api_key mode without a root key). */
export type AuthMode = 'api_key' | 'trusted' | 'dev';

const byteCount = (fallback: number) =>
  z.coerce
    .number()
    .int()
    .min(1024)
    .max(1024 * MIB)
    .default(fallback);

/** A whole number within [min, max]. */
const integer = (min: number, max: number, fallback: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

/** A duration in seconds (fractions allowed, for tests), at most a day. */
const seconds = (fallback: number) => z.coerce.number().positive().max(86_400).default(fallback);

const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(1933),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATA_DIR: z.string().min(1).default('./data/store'),
  ROOT_API_KEY: z.string().min(1).optional(),
  AUTH_MODE: z.enum(['api_key', 'trusted']).default('api_key'),
  LANCEDB_URI: z.string().min(1).optional(),
  EMBEDDER: z.enum(['auto', 'builtin', 'transformers', 'openai']).default('auto'),
  EMBEDDING_MODEL: z.string().min(1).optional(),
  EMBEDDING_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  EMBEDDING_API_KEY: z.string().min(1).optional(),
  EMBEDDING_DIMENSION: z.coerce.number().int().min(1).max(65_536).optional(),
  LLM_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  LLM_API_KEY: z.string().min(1).optional(),
  LLM_MODEL: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  MAX_BODY_BYTES: byteCount(10 * MIB),
  MAX_FILE_BYTES: byteCount(10 * MIB),
  MAX_UPLOAD_BYTES: byteCount(64 * MIB),
  ALLOW_PRIVATE_URLS: z.stringbool().default(false),
  MAX_INDEX_LAG_S: z.coerce.number().positive().max(86_400).default(5),
  MAX_SEARCH_INFLIGHT: z.coerce.number().int().min(1).max(1024).default(8),
  MAX_SEARCH_QUEUE: z.coerce.number().int().min(0).max(100_000).default(32),
  SEARCH_MEMORY_MB: z.coerce.number().int().min(0).max(4096).default(3072),
  SEARCH_THREADS: z.coerce.number().int().min(0).max(16).optional(),
  LANCEDB_INDEX_CACHE_MB: z.coerce.number().int().min(1).max(65_536).default(8),
  LANCEDB_METADATA_CACHE_MB: z.coerce.number().int().min(1).max(65_536).default(8),
  HEAP_GROWTH_PERCENT: z.coerce.number().int().min(0).max(300).default(50),
  REQUEST_TIMEOUT_S: seconds(60),
  HEADERS_TIMEOUT_S: seconds(20),
  KEEPALIVE_TIMEOUT_S: seconds(5),
  MAX_CONNECTIONS: z.coerce.number().int().min(1).max(1_000_000).default(1024),
  MAX_CONNECTIONS_PER_CLIENT: z.coerce.number().int().min(1).max(1_000_000).default(64),
  FIRST_REQUEST_TIMEOUT_S: seconds(5),
  SHUTDOWN_TIMEOUT_S: seconds(10),
  // The message never repeats the value: a connection URL may hold a password.
  DATABASE_URL: z
    .url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// or postgresql:// URL' })
    .optional(),
  ROLE: z.enum(ROLES).default('all'),
  // How long a worker's claim on index jobs holds without renewal (distributed mode): a process that
  // dies holding jobs has them taken over by another after this.
  INDEX_JOB_LEASE_S: seconds(30),
  // Pooled connections per process (distributed mode); each process also holds 3 LISTEN connections.
  DATABASE_POOL_MAX: integer(1, 1000, 10),
  // Parsing uploads in worker threads (README "Archive and document limits").
  PARSE_WORKERS: integer(1, 64, DEFAULT_PARSE_POOL.workers),
  PARSE_QUEUE: integer(0, 100_000, DEFAULT_PARSE_POOL.maxQueue),
  PARSE_QUEUE_PER_ACCOUNT: integer(1, 100_000, DEFAULT_PARSE_POOL.maxQueuePerAccount),
  PARSE_QUEUE_WAIT_S: seconds(DEFAULT_PARSE_POOL.maxWaitMs / 1000),
  PARSE_MEMORY_MB: integer(16, 16_384, DEFAULT_PARSE_POOL.memoryMb),
  PARSE_TIMEOUT_S: seconds(DEFAULT_DOCUMENT_LIMITS.timeoutMs / 1000),
  PARSE_ARCHIVE_TIMEOUT_S: seconds(DEFAULT_DOCUMENT_LIMITS.archiveTimeoutMs / 1000),
  PDF_MAX_PAGES: integer(1, 1_000_000, DEFAULT_DOCUMENT_LIMITS.maxPdfPages),
  HTML_MAX_DEPTH: integer(1, 100_000, DEFAULT_DOCUMENT_LIMITS.maxHtmlDepth),
  // A zip without ZIP64 counts its entries in 16 bits (0xffff itself announces ZIP64).
  ZIP_MAX_ENTRIES: integer(1, 65_534, 10_000),
  ZIP_MAX_RATIO: integer(1, 100_000, DEFAULT_MAX_RATIO),
});

/** The parse pool's bounds, and those of each document and archive it reads. */
export interface ParseSettings extends ParsePoolSettings {
  /** One document's conversion, and inflating one archive. */
  readonly timeoutMs: number;
  /** All the conversions of one archive together. */
  readonly archiveTimeoutMs: number;
  readonly maxPdfPages: number;
  readonly maxHtmlDepth: number;
  readonly zipMaxEntries: number;
  /** How many times its compressed size an archive entry over 64 KiB may expand. */
  readonly zipMaxRatio: number;
}

function parseSettings(e: z.output<typeof EnvSchema>): ParseSettings {
  return {
    workers: e.PARSE_WORKERS,
    maxQueue: e.PARSE_QUEUE,
    maxQueuePerAccount: Math.min(e.PARSE_QUEUE_PER_ACCOUNT, e.PARSE_QUEUE),
    maxWaitMs: e.PARSE_QUEUE_WAIT_S * 1000,
    memoryMb: e.PARSE_MEMORY_MB,
    timeoutMs: e.PARSE_TIMEOUT_S * 1000,
    archiveTimeoutMs: e.PARSE_ARCHIVE_TIMEOUT_S * 1000,
    maxPdfPages: e.PDF_MAX_PAGES,
    maxHtmlDepth: e.HTML_MAX_DEPTH,
    zipMaxEntries: e.ZIP_MAX_ENTRIES,
    zipMaxRatio: e.ZIP_MAX_RATIO,
  };
}

/** An OpenAI-compatible chat model: `LLM_BASE_URL`, `LLM_API_KEY`, `LLM_MODEL`. */
export interface LlmSettings {
  readonly baseUrl: string;
  readonly apiKey: string | undefined;
  readonly model: string;
}

type Env = z.output<typeof EnvSchema>;

/** Settings that only make sense together: each problem as the variable to fix and what is wrong. */
function missingTogether(e: Env): [string, string][] {
  const problems: [string, string][] = [];
  if (e.EMBEDDER === 'openai') {
    if (e.EMBEDDING_BASE_URL === undefined)
      problems.push(['EMBEDDING_BASE_URL', 'required with EMBEDDER=openai']);
    if (e.EMBEDDING_MODEL === undefined) problems.push(['EMBEDDING_MODEL', 'required with EMBEDDER=openai']);
  }
  if ((e.LLM_BASE_URL === undefined) !== (e.LLM_MODEL === undefined)) {
    const missing = e.LLM_BASE_URL === undefined ? 'LLM_BASE_URL' : 'LLM_MODEL';
    problems.push([missing, 'required with the other LLM_ settings']);
  }
  if (e.ROLE !== 'all' && e.DATABASE_URL === undefined) {
    problems.push(['ROLE', `'${e.ROLE}' needs DATABASE_URL (distributed mode); one local process does both`]);
  }
  return problems;
}

function authModeOf(e: Env): AuthMode {
  return e.AUTH_MODE === 'trusted' ? 'trusted' : e.ROOT_API_KEY ? 'api_key' : 'dev';
}

function llmOf(e: Env): LlmSettings | null {
  return e.LLM_BASE_URL === undefined || e.LLM_MODEL === undefined
    ? null
    : { baseUrl: e.LLM_BASE_URL, apiKey: e.LLM_API_KEY, model: e.LLM_MODEL };
}

/** The environment as the settings the code reads; the `Config` type is its output. */
const ConfigSchema = EnvSchema.transform((e, ctx) => {
  const problems = missingTogether(e);
  for (const [variable, message] of problems) ctx.addIssue({ code: 'custom', path: [variable], message });
  if (problems.length > 0) return z.NEVER;
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir: e.DATA_DIR,
    rootApiKey: e.ROOT_API_KEY,
    /** The resolved mode: `AUTH_MODE=api_key` without `ROOT_API_KEY` is `dev`. */
    authMode: authModeOf(e),
    lancedbUri: e.LANCEDB_URI ?? join(e.DATA_DIR, 'lancedb'),
    embedder: e.EMBEDDER,
    embeddingModel: e.EMBEDDING_MODEL,
    /** `EMBEDDER=openai`: the OpenAI-compatible server, its key and the vectors' length (SPEC 15). */
    embeddingBaseUrl: e.EMBEDDING_BASE_URL,
    embeddingApiKey: e.EMBEDDING_API_KEY,
    embeddingDimension: e.EMBEDDING_DIMENSION,
    /** The chat model of memory extraction (SPEC 15); null: no model, commit only archives. */
    llm: llmOf(e),
    logLevel: e.LOG_LEVEL,
    maxBodyBytes: e.MAX_BODY_BYTES,
    maxFileBytes: e.MAX_FILE_BYTES,
    /** Largest temp upload, and largest download of an `http(s)://` resource. */
    maxUploadBytes: e.MAX_UPLOAD_BYTES,
    /** Lets add_resource fetch URLs that resolve to loopback, private or link-local addresses. */
    allowPrivateUrls: e.ALLOW_PRIVATE_URLS,
    /** Writes get 429 while the index lag (oldest pending index job) would exceed this many seconds. */
    maxIndexLagS: e.MAX_INDEX_LAG_S,
    /** Searches running at once; more wait in a queue of `maxSearchQueue`, then get 503. */
    maxSearchInflight: e.MAX_SEARCH_INFLIGHT,
    maxSearchQueue: e.MAX_SEARCH_QUEUE,
    /** Budget of the in-memory search index in bytes (0: searches use LanceDB only). */
    searchMemoryBytes: e.SEARCH_MEMORY_MB * MIB,
    /** Worker threads sharing large in-memory scans (default: one fewer than the cores, at most 3). */
    searchThreads: e.SEARCH_THREADS ?? Math.max(0, Math.min(3, availableParallelism() - 1)),
    /** Bytes of LanceDB's index cache (index pages) and metadata cache (manifests, file footers). */
    lancedbIndexCacheBytes: e.LANCEDB_INDEX_CACHE_MB * MIB,
    lancedbMetadataCacheBytes: e.LANCEDB_METADATA_CACHE_MB * MIB,
    /**
     * How far V8 lets its heap grow past the live data before the next full collection, in percent
     * (0: V8's own choice, up to 4× the live data under load).
     */
    heapGrowthPercent: e.HEAP_GROWTH_PERCENT,
    /** A request's headers and body must arrive within this (slow clients get 408 and are cut off). */
    requestTimeoutMs: e.REQUEST_TIMEOUT_S * 1000,
    /** A request's headers must arrive within this (at most `requestTimeoutMs`). */
    headersTimeoutMs: Math.min(e.HEADERS_TIMEOUT_S, e.REQUEST_TIMEOUT_S) * 1000,
    /** An idle keep-alive connection is closed after this. */
    keepAliveTimeoutMs: e.KEEPALIVE_TIMEOUT_S * 1000,
    /** Open connections at most; further ones are refused until some close. */
    maxConnections: e.MAX_CONNECTIONS,
    /** Open connections of one client address (an IPv6 client: its /64) at most; further ones are closed. */
    maxConnectionsPerClient: Math.min(e.MAX_CONNECTIONS_PER_CLIENT, e.MAX_CONNECTIONS),
    /** A new connection's first request headers must arrive within this (at most `headersTimeoutMs`). */
    firstRequestTimeoutMs:
      Math.min(e.FIRST_REQUEST_TIMEOUT_S, e.HEADERS_TIMEOUT_S, e.REQUEST_TIMEOUT_S) * 1000,
    /** Bound of a graceful shutdown: in-flight requests, then the index batch in progress. */
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_S * 1000,
    /** PostgreSQL of distributed mode (SPEC 14); undefined: the embedded mode on local files. */
    databaseUrl: e.DATABASE_URL,
    /** What this process does in distributed mode; always `all` in the embedded mode. */
    role: e.ROLE,
    /** A claim on index jobs lapses after this without renewal (distributed mode), in ms. */
    indexJobLeaseMs: e.INDEX_JOB_LEASE_S * 1000,
    /** Pooled PostgreSQL connections of this process (plus its LISTEN connections). */
    databasePoolMax: e.DATABASE_POOL_MAX,
    /** Bounds of parsing uploads (zip, PDF, HTML) in worker threads. */
    parse: parseSettings(e),
  };
});

/** The settings (written once: the output of ConfigSchema). */
export type Config = Readonly<z.output<typeof ConfigSchema>>;

/** Thrown for an invalid environment; the message names every bad variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Parses the environment into a Config.
 * @example loadConfig({ PORT: '8080' }).port // 8080
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): Config {
  const relevant: Record<string, string> = {};
  for (const key of Object.keys(EnvSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value.trim() !== '') relevant[key] = value.trim();
  }
  const parsed = ConfigSchema.safeParse(relevant);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  return Object.freeze(parsed.data);
}

/** Whether `host` is a loopback address (dev mode may only bind to one). */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}
