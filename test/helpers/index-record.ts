/** An index record with every column set, for tests of the record stores. */
import type { IndexRecord } from '../../src/policy/index.js';

/** A resource chunk record of account `acme` with id `id`, its columns overridden by `over`. */
export function record(id: string, over: Partial<IndexRecord> = {}): IndexRecord {
  return {
    id,
    account_id: 'acme',
    uri: `viking://resources/${id}.md`,
    scope: 'resources',
    owner_user_id: null,
    owner_agent_id: null,
    context_type: 'resource',
    text: `text of ${id}`,
    abstract: `text of ${id}`,
    session_id: null,
    message_id: null,
    role: null,
    role_id: null,
    level: 2,
    chunk_index: 0,
    created_at: 1_700_000_000_000,
    updated_at: 1_700_000_000_001,
    vector: Float32Array.from([0.1, -0.2, 1 / 3]),
    ...over,
  };
}
