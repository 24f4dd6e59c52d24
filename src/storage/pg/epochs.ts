/**
 * Account epochs (SPEC 14, issue 24): each incarnation of an account id in the registry has an epoch
 * (`accounts.epoch` of migrations/pg/0001_base.sql: 1 at first creation, +1 at each re-creation after
 * a delete). Index jobs are stamped with the epoch whose content they will read when they are
 * appended ({@link STAMP_EPOCH}); a records write commits a job's records only if its account is live
 * with that epoch now, read under a share lock on the account's row in the write's own transaction
 * ({@link liveEpochs}). Records read from a deleted incarnation's files thus never land, on any
 * process, whatever the batch was doing when the account was deleted.
 *
 * Why the stamp is the epoch *to come* for a deleted account: the stamp is taken when the job is
 * appended and the job's sources are read after that. An account live at epoch E, or deleted at
 * epoch E-1 (no content at all), can only show content of incarnation E or later from then on; if it
 * is live at epoch E again when the records are written (under the row lock, so no deletion commits
 * in between), it was never deleted in the meantime and every read was of incarnation E. The jobs
 * queued by a deletion and by the re-creation (the account's purge and re-read) thus keep applying
 * to the new incarnation, as they do in the embedded mode.
 */
import type { SqlClient } from './sql.js';
import { int } from './sql.js';

/**
 * The epoch an index job of account `$1` is stamped with (an SQL expression): the account's epoch
 * while it is live, the next one (its re-creation's) while it is deleted, 1 before it ever existed.
 */
export const STAMP_EPOCH = `coalesce((SELECT CASE WHEN a.deleted_at IS NULL THEN a.epoch ELSE a.epoch + 1 END
  FROM accounts a WHERE a.account_id = $1), 1)`;

/**
 * The epoch each of `accounts` is live with now, share-locking their rows until the transaction ends:
 * a deletion or re-creation of one (which updates its row) waits for this transaction to commit, and
 * one that committed first is seen. Deleted and unknown accounts are absent.
 */
export async function liveEpochs(tx: SqlClient, accounts: readonly string[]): Promise<Map<string, number>> {
  if (accounts.length === 0) return new Map();
  const { rows } = await tx.query<{ account_id: string; epoch: unknown; live: boolean }>(
    `SELECT account_id, epoch, deleted_at IS NULL AS live FROM accounts
     WHERE account_id = ANY($1::text[]) ORDER BY account_id FOR SHARE`,
    [[...accounts]],
  );
  return new Map(rows.filter((r) => r.live).map((r) => [r.account_id, int(r.epoch)]));
}
