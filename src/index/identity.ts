/**
 * The embedder identity a records table is built for, kept in its schema metadata: a table built with
 * another embedder is refused (its vectors would be compared with vectors of another space) with the
 * command that rebuilds it.
 */
import type { Schema } from 'apache-arrow';
import { AppError } from '../errors.js';
import { META_EMBEDDER_DIMENSION, META_EMBEDDER_ID } from './arrow.js';

export interface EmbedderIdentity {
  readonly id: string;
  readonly dimension: number;
}

export const REINDEX_COMMAND = 'npm run reindex -- --reset';

/** The embedder identity recorded in a table's schema, or null if it carries none. */
export function identityOf(schema: Schema): EmbedderIdentity | null {
  const id = schema.metadata.get(META_EMBEDDER_ID);
  const dimension = Number(schema.metadata.get(META_EMBEDDER_DIMENSION));
  return id === undefined || !Number.isInteger(dimension) ? null : { id, dimension };
}

/** FAILED_PRECONDITION naming both embedders and the rebuild command. */
export function mismatch(stored: EmbedderIdentity | null, wanted: EmbedderIdentity): AppError {
  const was = stored === null ? 'an unknown embedder' : `${stored.id} (dimension ${stored.dimension})`;
  return new AppError(
    'FAILED_PRECONDITION',
    `the index was built with ${was} but the configured embedder is ${wanted.id} ` +
      `(dimension ${wanted.dimension}); rebuild it with \`${REINDEX_COMMAND}\``,
    { stored, configured: wanted },
  );
}
