/**
 * Temporary uploads (`POST /api/v1/resources/temp_upload`): a file a client sends once and then names
 * by its `temp_file_id` in a later request (add_resource, add_skill, pack import). Files live under
 * `{DATA_DIR}/uploads/{account_id}/` with a JSON sidecar holding the original name; they belong to the
 * user that uploaded them (another user's or account's id is NOT_FOUND, like an unknown or expired
 * one; ROOT or an ADMIN acting as that user sees it, as they see the rest of that user's view) and
 * expire an hour after the upload. Expired files are swept on every access and by a timer.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { z } from 'zod';
import { AppError } from '../errors.js';
import type { RequestContext } from '../policy/index.js';
import { DIR_MODE, FILE_MODE, restrictFile } from '../storage/modes.js';

/** How long an upload stays usable (OpenViking's temp uploads also expire after an hour). */
export const UPLOAD_TTL_MS = 60 * 60 * 1000;
/** `upload_` + 32 hex characters + an optional short extension: what {@link UploadStore.adopt} issues. */
const ID_PATTERN = /^upload_[0-9a-f]{32}(\.[A-Za-z0-9]{1,16})?$/;
const SWEEP_ON_ACCESS_MS = 60 * 1000;
const META_SUFFIX = '.meta.json';
/** Where multer streams an upload before it is adopted into its account's folder. */
const INCOMING = '.incoming';

const Meta = z.object({
  original_filename: z.string(),
  size: z.number(),
  uploaded_at: z.number(),
  user_id: z.string(),
});

/** An upload as its consumers see it. */
export interface Upload {
  readonly temp_file_id: string;
  /** The client's file name (sanitised: no folders), or the id when it sent none. */
  readonly filename: string;
  readonly size: number;
  /** Disk path of the bytes; read it, never move or keep it. */
  readonly path: string;
}

export interface UploadStoreOptions {
  /** `{DATA_DIR}/uploads`. */
  readonly dir: string;
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

export class UploadStore {
  private readonly dir: string;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private lastSweep = -Infinity;

  constructor(options: UploadStoreOptions) {
    this.dir = options.dir;
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
   * Takes ownership of a file received into {@link incomingDir}: moves it into the caller's account
   * folder and returns the new id.
   */
  async adopt(
    ctx: RequestContext,
    incomingPath: string,
    originalName?: string,
  ): Promise<{ temp_file_id: string }> {
    await this.sweepOnAccess();
    const filename = cleanName(originalName);
    const temp_file_id = `upload_${randomBytes(16).toString('hex')}${extensionOf(filename)}`;
    const folder = join(this.dir, ctx.effective.account_id);
    await mkdir(folder, { recursive: true, mode: DIR_MODE });
    const size = (await stat(incomingPath)).size;
    const meta: z.infer<typeof Meta> = {
      original_filename: filename,
      size,
      uploaded_at: this.now(),
      user_id: ctx.effective.user_id,
    };
    await writeFile(join(folder, temp_file_id + META_SUFFIX), JSON.stringify(meta), { mode: FILE_MODE });
    // multer created the file with the process's default mode.
    await restrictFile(incomingPath);
    await rename(incomingPath, join(folder, temp_file_id));
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
    if (typeof id !== 'string' || !ID_PATTERN.test(id)) {
      throw new AppError('INVALID_ARGUMENT', 'temp_file_id is not an id issued by temp_upload', {
        field: 'temp_file_id',
      });
    }
    await this.sweepOnAccess();
    const path = join(this.dir, ctx.effective.account_id, id);
    const meta = await this.readMeta(path);
    if (meta === null || meta.user_id !== ctx.effective.user_id) {
      throw new AppError('NOT_FOUND', 'no such upload (unknown or expired)', { temp_file_id: id });
    }
    const filename = meta.original_filename === '' ? id : meta.original_filename;
    return { temp_file_id: id, filename, size: meta.size, path };
  }

  /** Reads an upload's bytes (see {@link open} for the errors). */
  async read(ctx: RequestContext, id: unknown): Promise<{ upload: Upload; data: Buffer }> {
    const upload = await this.open(ctx, id);
    return { upload, data: await readFile(upload.path) };
  }

  /** Removes an upload once it has been used; removing a missing one is fine. */
  async discard(ctx: RequestContext, id: string): Promise<void> {
    if (!ID_PATTERN.test(id)) return;
    const path = join(this.dir, ctx.effective.account_id, id);
    await Promise.all([rm(path, { force: true }), rm(path + META_SUFFIX, { force: true })]);
  }

  /** Removes every upload of a deleted account. */
  async forgetAccount(account_id: string): Promise<void> {
    await rm(join(this.dir, account_id), { recursive: true, force: true });
  }

  /** Removes expired uploads (and stray incoming files) of every account. */
  async sweep(): Promise<void> {
    this.lastSweep = this.now();
    const accounts = await readdir(this.dir).catch((): string[] => []);
    const cutoff = this.now() - this.ttlMs;
    for (const account of accounts) {
      const folder = join(this.dir, account);
      const names = await readdir(folder).catch((): string[] => []);
      for (const name of names) {
        const path = join(folder, name);
        const modified = await stat(path).then(
          (s) => s.mtimeMs,
          () => null,
        );
        if (modified !== null && modified < cutoff) await rm(path, { force: true });
      }
    }
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

  /** A sweep on access, at most once a minute (the timer does the rest). */
  private async sweepOnAccess(): Promise<void> {
    if (this.now() - this.lastSweep >= SWEEP_ON_ACCESS_MS) await this.sweep();
  }

  private async readMeta(path: string): Promise<z.infer<typeof Meta> | null> {
    const raw = await readFile(path + META_SUFFIX, 'utf8').catch(() => null);
    if (raw === null) return null;
    let parsed;
    try {
      parsed = Meta.safeParse(JSON.parse(raw));
    } catch {
      return null;
    }
    if (!parsed.success || parsed.data.uploaded_at < this.now() - this.ttlMs) return null;
    const exists = await stat(path).then(
      (s) => s.isFile(),
      () => false,
    );
    return exists ? parsed.data : null;
  }
}
