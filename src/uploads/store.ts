/**
 * Temporary uploads (`POST /api/v1/resources/temp_upload`): a file a client sends once and then names
 * by its `temp_file_id` in a later request (add_resource, add_skill, pack import). multer streams the
 * file into `{DATA_DIR}/uploads/.incoming`; it is then kept by an {@link UploadStorage} (files under
 * `{DATA_DIR}/uploads/{account_id}/`, or PostgreSQL) with its original name. It belongs to the user
 * that uploaded it (another user's or account's id is NOT_FOUND, like an unknown or expired one; ROOT
 * or an ADMIN acting as that user sees it, as they see the rest of that user's view) and expires an
 * hour after the upload. Expired uploads are swept on access and by a timer.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { AppError } from '../errors.js';
import type { RequestContext } from '../policy/index.js';
import { LocalUploadStorage, removeOlder } from '../storage/local-uploads.js';
import { DIR_MODE, FILE_MODE } from '../storage/modes.js';
import { isUploadId, type UploadMeta, type UploadStorage } from './storage.js';

/** How long an upload stays usable (OpenViking's temp uploads also expire after an hour). */
export const UPLOAD_TTL_MS = 60 * 60 * 1000;
const SWEEP_ON_ACCESS_MS = 60 * 1000;
/** Where multer streams an upload before it is adopted into its account's folder. */
const INCOMING = '.incoming';

/** An upload as its consumers see it. */
export interface Upload {
  readonly temp_file_id: string;
  /** The client's file name (sanitised: no folders), or the id when it sent none. */
  readonly filename: string;
  readonly size: number;
}

export interface UploadStoreOptions {
  /** `{DATA_DIR}/uploads`: the incoming files, and the uploads unless `storage` says otherwise. */
  readonly dir: string;
  /** Where uploads are kept; default: the local files under `dir`. */
  readonly storage?: UploadStorage;
  readonly ttlMs?: number;
  /** Injectable clock (tests). */
  readonly now?: () => number;
}

/** The last path segment of a client-supplied file name, without control characters. */
function cleanName(raw: string | undefined): string {
  const name = (raw ?? '').split(/[/\\]/).pop() ?? '';
  return name.replace(/[\p{Cc}]/gu, '').slice(0, 255);
}

function extensionOf(name: string): string {
  const ext = extname(name);
  return /^\.[A-Za-z0-9]{1,16}$/.test(ext) ? ext.toLowerCase() : '';
}

function notFound(id: string): AppError {
  return new AppError('NOT_FOUND', 'no such upload (unknown or expired)', { temp_file_id: id });
}

export class UploadStore {
  private readonly dir: string;
  private readonly storage: UploadStorage;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private lastSweep = -Infinity;

  constructor(options: UploadStoreOptions) {
    this.dir = options.dir;
    this.storage = options.storage ?? new LocalUploadStorage(options.dir);
    this.ttlMs = options.ttlMs ?? UPLOAD_TTL_MS;
    this.now = options.now ?? Date.now;
  }

  /** The folder multer writes incoming files to (created on demand). */
  async incomingDir(): Promise<string> {
    const dir = join(this.dir, INCOMING);
    await mkdir(dir, { recursive: true, mode: DIR_MODE });
    return dir;
  }

  /**
   * Takes ownership of a file received into {@link incomingDir}: hands it to the storage as an
   * upload of the caller and returns the new id.
   */
  async adopt(
    ctx: RequestContext,
    incomingPath: string,
    originalName?: string,
  ): Promise<{ temp_file_id: string }> {
    await this.sweepOnAccess();
    const filename = cleanName(originalName);
    const temp_file_id = `upload_${randomBytes(16).toString('hex')}${extensionOf(filename)}`;
    const meta: UploadMeta = {
      original_filename: filename,
      size: (await stat(incomingPath)).size,
      uploaded_at: this.now(),
      user_id: ctx.effective.user_id,
    };
    await this.storage.put(ctx.effective.account_id, temp_file_id, meta, incomingPath);
    return { temp_file_id };
  }

  /** Stores bytes as a new upload of the caller (tests, and callers that already hold the data). */
  async save(
    ctx: RequestContext,
    data: Uint8Array,
    originalName?: string,
  ): Promise<{ temp_file_id: string }> {
    const incoming = join(await this.incomingDir(), randomBytes(16).toString('hex'));
    await writeFile(incoming, data, { mode: FILE_MODE });
    return this.adopt(ctx, incoming, originalName);
  }

  /**
   * The caller's upload `id` (the effective user's). A malformed id is INVALID_ARGUMENT; an unknown,
   * expired, other user's or other account's one is NOT_FOUND.
   */
  async open(ctx: RequestContext, id: unknown): Promise<Upload> {
    if (!isUploadId(id)) {
      throw new AppError('INVALID_ARGUMENT', 'temp_file_id is not an id issued by temp_upload', {
        field: 'temp_file_id',
      });
    }
    await this.sweepOnAccess();
    const meta = await this.storage.meta(ctx.effective.account_id, id);
    const expired = meta !== null && meta.uploaded_at < this.now() - this.ttlMs;
    if (meta === null || expired || meta.user_id !== ctx.effective.user_id) throw notFound(id);
    const filename = meta.original_filename === '' ? id : meta.original_filename;
    return { temp_file_id: id, filename, size: meta.size };
  }

  /** Reads an upload's bytes (see {@link open} for the errors). */
  async read(ctx: RequestContext, id: unknown): Promise<{ upload: Upload; data: Buffer }> {
    const upload = await this.open(ctx, id);
    const data = await this.storage.data(ctx.effective.account_id, upload.temp_file_id);
    // Swept or used up by another request since it was opened.
    if (data === null) throw notFound(upload.temp_file_id);
    return { upload, data };
  }

  /** Removes an upload once it has been used; removing a missing one is fine. */
  async discard(ctx: RequestContext, id: string): Promise<void> {
    if (!isUploadId(id)) return;
    await this.storage.remove(ctx.effective.account_id, id);
  }

  /** Removes every upload of a deleted account. */
  async forgetAccount(account_id: string): Promise<void> {
    await this.storage.removeAccount(account_id);
  }

  /** Removes expired uploads of every account, and stray incoming files. */
  async sweep(): Promise<void> {
    await removeOlder(join(this.dir, INCOMING), this.now() - this.ttlMs);
    await this.sweepUploads();
  }

  /** Sweeps every `intervalMs` until {@link stop}; the timer never keeps the process alive. */
  start(intervalMs = 5 * 60 * 1000): void {
    this.stop();
    this.timer = setInterval(() => void this.sweep().catch(() => undefined), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * A sweep of the uploads on access, at most once a minute (the timer does the rest). Incoming files
   * are left to the timer: `adopt` holds one that must not go before it is kept.
   */
  private async sweepOnAccess(): Promise<void> {
    if (this.now() - this.lastSweep >= SWEEP_ON_ACCESS_MS) await this.sweepUploads();
  }

  private async sweepUploads(): Promise<void> {
    this.lastSweep = this.now();
    await this.storage.sweep(this.now() - this.ttlMs);
  }
}
