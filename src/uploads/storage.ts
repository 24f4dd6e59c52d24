/**
 * Where temporary uploads are kept: the {@link UploadStorage} the {@link UploadStore} goes through,
 * implemented over files under `{DATA_DIR}/uploads` in the embedded mode (`storage/local-uploads.ts`)
 * and over PostgreSQL in distributed mode (`storage/pg/uploads.ts`), where the upload may be sent to
 * one process and used through another. Both run the same suite (test/storage/upload-suite.ts). The
 * store decides who may use an upload and until when; a storage only keeps them.
 */
import { z } from 'zod';
import { validateId } from '../policy/ids.js';

/** `upload_` + 32 hex characters + an optional short extension: what the store issues. */
const ID_PATTERN = /^upload_[0-9a-f]{32}(\.[A-Za-z0-9]{1,16})?$/;

export function isUploadId(value: unknown): value is string {
  return typeof value === 'string' && ID_PATTERN.test(value);
}

/** What is kept beside an upload's bytes (the local sidecar file's JSON). */
export const UploadMeta = z.object({
  original_filename: z.string(),
  size: z.number(),
  /** Milliseconds since the epoch, by the store's clock. */
  uploaded_at: z.number(),
  user_id: z.string(),
});
export type UploadMeta = z.infer<typeof UploadMeta>;

export interface UploadStorage {
  /** Keeps the received file at `path` as upload `id` of the account; the file is consumed. */
  put(account_id: string, id: string, meta: UploadMeta, path: string): Promise<void>;
  /** An upload's meta, or null if there is none (or only part of one). */
  meta(account_id: string, id: string): Promise<UploadMeta | null>;
  /** An upload's bytes, or null if there are none. */
  data(account_id: string, id: string): Promise<Buffer | null>;
  /** Removes an upload; a missing one is fine. */
  remove(account_id: string, id: string): Promise<void>;
  /** Removes every upload of an account. */
  removeAccount(account_id: string): Promise<void>;
  /**
   * Removes the uploads of every account made before `cutoff` (ms since the epoch). Several
   * processes may sweep at once.
   */
  sweep(cutoff: number): Promise<void>;
}

/** Checks an upload's key before a storage uses it (the store has checked both already). */
export function checkUploadKey(account_id: string, id: string): void {
  validateId(account_id, 'account_id');
  if (!isUploadId(id)) throw new Error(`not an upload id: ${JSON.stringify(id)}`);
}
