/** Index records of the PostgreSQL benchmarks: resource chunk `i` of an account, with its own text and vector. */
import type { IndexRecord } from '../../src/policy/index.js';

export function resourceRecord(
  i: number,
  fields: { readonly account_id: string; readonly text: string; readonly vector: Float32Array },
): IndexRecord {
  return {
    id: `r${i}`,
    account_id: fields.account_id,
    uri: `viking://resources/d${i % 100}/f${i}.md`,
    scope: 'resources',
    owner_user_id: null,
    owner_agent_id: null,
    context_type: 'resource',
    text: fields.text,
    abstract: `record ${i}`,
    session_id: null,
    message_id: null,
    role: null,
    role_id: null,
    level: 2,
    chunk_index: 0,
    created_at: i,
    updated_at: i,
    vector: fields.vector,
  };
}
