/**
 * Temporary uploads in PostgreSQL (distributed mode, SPEC 14): table `uploads` of
 * migrations/pg/0006_uploads.sql, one row per upload holding its bytes, owner and upload time, so an
 * upload received by one process can be used through any other. The received file (multer's, in the
 * process's local incoming folder) is read into the row and removed. Every value is a bind parameter;
 * errors go through mapPgError (unreachable → UNAVAILABLE).
 */
import { readFile, rm } from 'node:fs/promises';
import { validateId } from '../../policy/ids.js';
import { checkUploadKey, type UploadMeta, type UploadStorage } from '../../uploads/storage.js';
import { query, type Pool } from './pool.js';
import { int } from './sql.js';

interface MetaRow {
  user_id: string;
  original_filename: string;
  size: string;
  uploaded_at: string;
}

export class PgUploadStorage implements UploadStorage {
  constructor(private readonly pool: Pool) {}

  async put(account_id: string, id: string, meta: UploadMeta, path: string): Promise<void> {
    checkUploadKey(account_id, id);
    try {
      const content = await readFile(path);
      await query(
        this.pool,
        `INSERT INTO uploads (account_id, upload_id, user_id, original_filename, size, uploaded_at, content)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [
          account_id,
          id,
          meta.user_id,
          meta.original_filename,
          meta.size,
          Math.floor(meta.uploaded_at),
          content,
        ],
      );
    } finally {
      // Kept or not, the received file is not needed any more (the sweep would take it later).
      await rm(path, { force: true });
    }
  }

  async meta(account_id: string, id: string): Promise<UploadMeta | null> {
    checkUploadKey(account_id, id);
    const { rows } = await query<MetaRow>(
      this.pool,
      `SELECT user_id, original_filename, size, uploaded_at FROM uploads
       WHERE account_id = $1 AND upload_id = $2`,
      [account_id, id],
    );
    const row = rows[0];
    if (row === undefined) return null;
    return {
      user_id: row.user_id,
      original_filename: row.original_filename,
      size: int(row.size),
      uploaded_at: int(row.uploaded_at),
    };
  }

  async data(account_id: string, id: string): Promise<Buffer | null> {
    checkUploadKey(account_id, id);
    const { rows } = await query<{ content: Buffer }>(
      this.pool,
      'SELECT content FROM uploads WHERE account_id = $1 AND upload_id = $2',
      [account_id, id],
    );
    return rows[0]?.content ?? null;
  }

  async remove(account_id: string, id: string): Promise<void> {
    checkUploadKey(account_id, id);
    await query(this.pool, 'DELETE FROM uploads WHERE account_id = $1 AND upload_id = $2', [account_id, id]);
  }

  async removeAccount(account_id: string): Promise<void> {
    validateId(account_id, 'account_id');
    await query(this.pool, 'DELETE FROM uploads WHERE account_id = $1', [account_id]);
  }

  async sweep(cutoff: number): Promise<void> {
    await query(this.pool, 'DELETE FROM uploads WHERE uploaded_at < $1', [Math.floor(cutoff)]);
  }
}
