/**
 * The requests OpenViking's TypeScript SDK (sdk/typescript/src/client.ts on its main branch) sends for
 * the calls of issue 26, written by us from its request shapes: the same method, path, query fields
 * (defaults included; undefined, null and '' left out, arrays repeated, booleans as text) and JSON
 * body fields (undefined and null left out). No code of OpenViking's is copied. Each call answers
 * the raw supertest response so tests can check status and envelope.
 */
import type { Client } from '../helpers/full-app.js';

type Json = Record<string, unknown>;

/** The SDK's `compact`: drops undefined and null fields. */
function compact(value: Json): Json {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && v !== null));
}

/** The SDK's query encoding: skips undefined, null and ''; booleans and numbers as text. */
function queryOf(value: Json): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [key, v] of Object.entries(value)) {
    if (Array.isArray(v)) out[key] = v.map(String);
    else if ((typeof v === 'string' && v !== '') || typeof v === 'number' || typeof v === 'boolean')
      out[key] = String(v);
  }
  return out;
}

const normalizeURI = (uri: string): string =>
  uri.startsWith('viking://') ? uri : `viking://${uri.replace(/^\/+/, '')}`;

export function sdk(client: Client) {
  return {
    listSkills: (o: { nodeLimit?: number; targetUri?: string } = {}) =>
      client
        .get('/api/v1/skills')
        .query(queryOf({ node_limit: o.nodeLimit ?? 1000, target_uri: o.targetUri })),
    findSkills: (
      query: string,
      o: { limit?: number; scoreThreshold?: number; level?: number[]; targetUri?: string } = {},
    ) =>
      client.post('/api/v1/skills/find').send(
        compact({
          query,
          limit: o.limit ?? 10,
          score_threshold: o.scoreThreshold,
          level: o.level,
          target_uri: o.targetUri,
        }),
      ),
    validateSkill: (data: unknown, o: { strict?: boolean; skillDirName?: string; targetUri?: string } = {}) =>
      client.post('/api/v1/skills/validate').send(
        compact({
          data,
          strict: o.strict ?? false,
          skill_dir_name: o.skillDirName,
          target_uri: o.targetUri,
        }),
      ),
    getSkill: (
      name: string,
      o: { includeContent?: boolean; includeFiles?: boolean; level?: number; targetUri?: string } = {},
    ) =>
      client.get(`/api/v1/skills/${encodeURIComponent(name)}`).query(
        queryOf({
          include_content: o.includeContent,
          include_files: o.includeFiles ?? true,
          include_source: false,
          level: o.level,
          target_uri: o.targetUri,
        }),
      ),
    updateSkill: (name: string, data: unknown, o: { wait?: boolean; targetUri?: string } = {}) =>
      client
        .put(`/api/v1/skills/${encodeURIComponent(name)}`)
        .send(compact({ wait: o.wait ?? false, target_uri: o.targetUri, data })),
    deleteSkill: (name: string, targetUri?: string) =>
      client.delete(`/api/v1/skills/${encodeURIComponent(name)}`).query(queryOf({ target_uri: targetUri })),
    importOVPack: (
      tempFileId: string,
      parent: string,
      o: { onConflict?: string; vectorMode?: string } = {},
    ) =>
      client.post('/api/v1/pack/import').send(
        compact({
          parent: normalizeURI(parent),
          temp_file_id: tempFileId,
          on_conflict: o.onConflict,
          vector_mode: o.vectorMode,
        }),
      ),
    backupOVPack: (includeVectors = false) =>
      client.post('/api/v1/pack/backup').send({ include_vectors: includeVectors }),
    restoreOVPack: (tempFileId: string, o: { onConflict?: string; vectorMode?: string } = {}) =>
      client
        .post('/api/v1/pack/restore')
        .send(compact({ temp_file_id: tempFileId, on_conflict: o.onConflict, vector_mode: o.vectorMode })),
    attrs: (uri: string) => client.get('/api/v1/fs/attrs').query(queryOf({ uri: normalizeURI(uri) })),
    setTags: (uri: string, tags: string[], o: { mode?: string; recursive?: boolean } = {}) =>
      client.post('/api/v1/fs/attrs/set_tags').send(
        compact({
          uri: normalizeURI(uri),
          tags,
          mode: o.mode ?? 'replace',
          recursive: o.recursive ?? false,
        }),
      ),
    reindex: (
      uri: string,
      o: { mode?: string; wait?: boolean; dryRun?: boolean; tags?: string[]; tagMode?: string } = {},
    ) =>
      client.post('/api/v1/content/reindex').send(
        compact({
          uri: normalizeURI(uri),
          mode: o.mode ?? 'vectors_only',
          wait: o.wait ?? true,
          dry_run: o.dryRun ?? false,
          tags: o.tags,
          tag_mode: o.tags === undefined ? undefined : (o.tagMode ?? 'replace'),
        }),
      ),
    checkConsistency: (uri: string) =>
      client.post('/api/v1/system/consistency').send({ uri: normalizeURI(uri) }),
    find: (query: string, o: { targetUri?: string; tags?: string[]; limit?: number } = {}) =>
      client
        .post('/api/v1/search/find')
        .send(compact({ query, target_uri: o.targetUri ?? '', limit: o.limit ?? 10, tags: o.tags })),
    /** `upload()`: multipart `file`, as the SDK's FormData. */
    upload: (data: Buffer, filename: string) =>
      client.post('/api/v1/resources/temp_upload').attach('file', data, filename),
  };
}
