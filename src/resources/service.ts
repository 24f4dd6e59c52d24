/**
 * add_resource: turns an upload (`temp_file_id`) or an `http(s)://` URL into documents below a
 * resource root and writes them — with a `.abstract.md` / `.overview.md` per folder — through the
 * filesystem service in one checked batch, so the namespace policy, visibility, size limits,
 * backpressure and indexing are exactly those of `content/write`. A local server path is refused
 * (SPEC 11: only `viking://` URIs name storage). Everything is read, converted and checked before the
 * first write. With `wait` the answer comes once the documents are indexed; without it the answer
 * carries a task id whose task completes when they are.
 */
import { AppError, isAppError } from '../errors.js';
import { resolveWritable } from '../fs/access.js';
import type { Vfs } from '../fs/index.js';
import type { BatchFile } from '../fs/write-ops.js';
import { DEFAULT_WAIT_TIMEOUT_S, type WaitIndexed } from '../hooks.js';
import { resolveUri, type RequestContext } from '../policy/index.js';
import type { TaskRegistry } from '../tasks/registry.js';
import type { UploadStore } from '../uploads/store.js';
import { archiveDocuments } from './archive.js';
import { convertFile, stemOf, type Converted } from './convert.js';
import { fetchUrl, type FetchOptions } from './fetch-url.js';
import { DEFAULT_DOCUMENT_LIMITS, parsingFor, type DocumentLimits } from './parse-jobs.js';
import type { AddResourceRequest } from './request.js';
import { folderSummaries } from './summary.js';
import { looksLikeZip, readZip, type ZipLimits } from './zip.js';

const RESOURCES_ROOT = 'viking://resources';
/** How long a background task waits for the indexer before it reports failure. */
const TASK_WAIT_MS = 60 * 60 * 1000;
/** Zip-based document formats, refused as documents rather than opened as folders. */
const OFFICE_ZIPS = /\.(docx|xlsx|pptx|odt|ods|odp|epub|jar|apk|whl)$/i;

export interface ResourceServiceOptions {
  readonly vfs: Vfs;
  readonly uploads: UploadStore;
  readonly tasks: TaskRegistry;
  readonly waitIndexed: WaitIndexed;
  /** URL fetching limits (`maxBytes`, `allowPrivate`, …). */
  readonly fetch: FetchOptions;
  readonly zip: ZipLimits;
  /** Bounds of converting a PDF or HTML document (defaults: DEFAULT_DOCUMENT_LIMITS). */
  readonly documents?: DocumentLimits;
}

/** Where the bytes came from. */
interface Source {
  readonly name: string;
  readonly data: Uint8Array;
  readonly mediaType: string;
  readonly source_path: string;
}

interface Planned {
  readonly rootName: string;
  readonly docs: { path: string; converted: Converted }[];
  readonly warnings: string[];
  readonly format: string;
}

/** A name usable as one URI segment: no separators or control characters, not hidden, not too long. */
function segmentName(raw: string): string {
  const name = raw
    .replace(/[\p{Cc}\\/\s]+/gu, '_')
    .replace(/^\.+/, '')
    .slice(0, 120);
  return name === '' ? 'resource' : name;
}

/** The last path segment of a URL (or its host), as a file name. */
function nameOfUrl(url: string): string {
  const { hostname, pathname } = new URL(url);
  const last = pathname
    .split('/')
    .filter((s) => s !== '')
    .pop();
  return last ?? hostname;
}

/** The documents of a plan below `root`, and each folder's `.abstract.md` and `.overview.md`. */
function filesOf(root: string, plan: Planned, reason: string): BatchFile[] {
  const docs = plan.docs.map((d) => ({ path: d.path, content: d.converted.content }));
  const files = docs.map((d) => ({ uri: `${root}/${d.path}`, content: d.content }));
  for (const summary of folderSummaries(plan.rootName, docs, reason)) {
    const folder = summary.folder === '' ? root : `${root}/${summary.folder}`;
    files.push(
      { uri: `${folder}/.abstract.md`, content: summary.abstract },
      { uri: `${folder}/.overview.md`, content: summary.overview },
    );
  }
  return files;
}

function isNotFound(error: unknown): boolean {
  return isAppError(error) && error.code === 'NOT_FOUND';
}

export class ResourceService {
  constructor(private readonly options: ResourceServiceOptions) {}

  /** add_resource (see the module header); the result has OpenViking's shape (`root_uri`, …). */
  async add(ctx: RequestContext, request: AddResourceRequest): Promise<Record<string, unknown>> {
    const { vfs, uploads } = this.options;
    const to = request.to ? this.target(ctx, request.to) : undefined;
    const parent = request.parent ? await this.requireFolder(ctx, request.parent) : undefined;
    const source = await this.load(ctx, request);
    const plan = await parsingFor(ctx.effective.account_id, () => this.plan(source, request));
    const { root, existed } = await this.rootUri(ctx, { to, parent }, plan.rootName);
    const written = await vfs
      .writeMany(ctx, filesOf(root, plan, request.reason))
      .catch(async (error: unknown) => {
        // Checks passed but a write failed (disk, a concurrent change): leave no half-made resource.
        if (!existed) await vfs.rm(ctx, root, true).catch(() => undefined);
        throw error;
      });
    if (request.temp_file_id) await uploads.discard(ctx, request.temp_file_id);
    const result: Record<string, unknown> = {
      status: 'success',
      errors: [],
      warnings: plan.warnings,
      source_path: source.source_path,
      root_uri: root,
      meta: { format: plan.format, documents: plan.docs.length, files: written.uris.length },
    };
    const tickets = written.tickets;
    if (request.wait) {
      await this.options.waitIndexed(tickets, (request.timeout ?? DEFAULT_WAIT_TIMEOUT_S) * 1000);
      return { ...result, queue_status: { indexed: true } };
    }
    const task = this.options.tasks.start(ctx, 'add_resource', root, async () => {
      await this.options.waitIndexed(tickets, TASK_WAIT_MS);
      return { root_uri: root, indexed: true };
    });
    return { ...result, task_id: task.task_id };
  }

  /**
   * The canonical `to`, checked for write permission now (before any download), unless it is
   * `viking://resources`, which OpenViking treats as a parent: only the files below it are written.
   */
  private target(ctx: RequestContext, to: string): string {
    const { uri } = resolveUri(to, ctx.effective, ctx.policy);
    return uri === RESOURCES_ROOT ? uri : resolveWritable(ctx, uri).uri;
  }

  /**
   * `parent` is an existing folder the caller may see (the files below it are checked when written),
   * or a folder that does not exist yet and that the caller may write: the writes create it, as
   * `content/write` creates a file's parents (a fresh store has no `viking://resources/web`).
   */
  private async requireFolder(ctx: RequestContext, parent: string): Promise<string> {
    const { uri } = resolveUri(parent, ctx.effective, ctx.policy);
    const info = await this.options.vfs.stat(ctx, uri).catch((error: unknown) => {
      if (isNotFound(error)) return null;
      throw error;
    });
    if (info === null) return resolveWritable(ctx, uri).uri;
    if (!info.isDir) throw new AppError('FAILED_PRECONDITION', "'parent' is not a folder", { uri });
    return uri;
  }

  private async load(ctx: RequestContext, request: AddResourceRequest): Promise<Source> {
    if (request.temp_file_id) {
      const { upload, data } = await this.options.uploads.read(ctx, request.temp_file_id);
      return { name: upload.filename, data, mediaType: '', source_path: upload.filename };
    }
    const path = request.path ?? '';
    if (!/^https?:\/\//i.test(path)) {
      throw new AppError(
        'INVALID_ARGUMENT',
        "'path' must be an http(s):// URL; upload local files with POST /api/v1/resources/temp_upload and pass temp_file_id",
        { field: 'path' },
      );
    }
    const fetched = await fetchUrl(path, this.options.fetch);
    return {
      name: nameOfUrl(fetched.url),
      data: fetched.data,
      mediaType: fetched.contentType,
      source_path: path,
    };
  }

  private async plan(source: Source, request: AddResourceRequest): Promise<Planned> {
    const name = request.source_name ?? source.name;
    const limits = this.options.documents ?? DEFAULT_DOCUMENT_LIMITS;
    if (looksLikeZip(source.data) && !OFFICE_ZIPS.test(source.name)) {
      const entries = await readZip(source.data, this.options.zip);
      const archive = await archiveDocuments(entries, request, limits);
      if (archive.docs.length === 0) {
        throw new AppError('INVALID_ARGUMENT', 'the archive holds no file that can be imported', {
          warnings: archive.warnings,
        });
      }
      const rootName = segmentName(archive.rootFolder ?? stemOf(name));
      return { rootName, docs: archive.docs, warnings: archive.warnings, format: 'zip' };
    }
    const converted = await convertFile(segmentName(name), source.data, source.mediaType, limits);
    return {
      rootName: segmentName(stemOf(name)),
      docs: [{ path: converted.name, converted }],
      warnings: [],
      format: converted.format,
    };
  }

  /**
   * `to` as given; `to: viking://resources` or a `parent` gets `{parent}/{name}`; otherwise
   * `viking://resources/{name}`, with `_1`, `_2`, … when the name is taken (OpenViking's rules).
   */
  private async rootUri(
    ctx: RequestContext,
    target: { to: string | undefined; parent: string | undefined },
    name: string,
  ): Promise<{ root: string; existed: boolean }> {
    const { to, parent } = target;
    const exists = (uri: string) =>
      this.options.vfs.stat(ctx, uri).then(
        () => true,
        (error: unknown) => {
          if (isNotFound(error)) return false;
          throw error;
        },
      );
    if (to && to !== RESOURCES_ROOT) return { root: to, existed: await exists(to) };
    const base = parent ?? RESOURCES_ROOT;
    const candidate = `${base}/${name}`;
    if (to === RESOURCES_ROOT) return { root: candidate, existed: await exists(candidate) };
    for (let i = 0; i <= 100; i++) {
      const uri = i === 0 ? candidate : `${candidate}_${i}`;
      if (!(await exists(uri))) return { root: uri, existed: false };
    }
    throw new AppError('CONFLICT', `no free name for ${candidate} after 100 attempts`, { uri: candidate });
  }
}
