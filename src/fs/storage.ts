/**
 * Where the `viking://` tree of each account is kept durably: the {@link FileStorage} interface the
 * filesystem operations go through, implemented over local files in the embedded mode
 * (`storage/local-files.ts`) and over PostgreSQL in distributed mode (`storage/pg/files.ts`).
 * Entries are named by account and canonical URI (`viking://` is the account's root); callers have
 * checked access already. Both implementations refuse the same things with the same AppErrors
 * (built here), and run the same suite (test/storage/file-suite.ts).
 */
import { AppError } from '../errors.js';
import { validateId } from '../policy/ids.js';
import { URI_PREFIX } from '../policy/uri.js';

export type EntryKind = 'file' | 'folder';

export interface EntryInfo {
  readonly kind: EntryKind;
  /** Bytes of a file; 0 for a folder. */
  readonly size: number;
  readonly mtime: Date;
}

/** A child as its folder lists it. */
export interface ChildEntry {
  readonly name: string;
  readonly kind: EntryKind;
}

/** `create` writes a new file and refuses an existing one, atomically (two writers: one wins). */
export type StorageWriteMode = 'replace' | 'append' | 'create';

export interface StorageWriteOptions {
  readonly mode: StorageWriteMode;
  /** Largest content the file may hold after the write (an append counts what is there). */
  readonly maxBytes: number;
}

export interface LookupOptions {
  /**
   * The caller reached this entry by listing its folder, so nothing on the way is a link or a file
   * (lets the local files skip checking every folder above it; a listing stays cheap).
   */
  readonly listed?: boolean;
}

export interface FileStorage {
  /** Creates the account's root folder (idempotent). Only this creates it; writes never do. */
  createRoot(account_id: string): Promise<void>;
  /** The accounts that have a root folder, sorted (what a rebuild of the whole index covers). */
  accounts(): Promise<string[]>;
  /** The entry at `uri`, or null if there is none, or the way to it leads through a link or a file. */
  stat(account_id: string, uri: string, options?: LookupOptions): Promise<EntryInfo | null>;
  /** Whether something on the way to `uri` (below the root, above `uri`) is not a real folder. */
  blocked(account_id: string, uri: string): Promise<boolean>;
  /** A file's bytes; null if there is no file there (nothing, a folder, a link, a blocked way). */
  read(account_id: string, uri: string, options?: LookupOptions): Promise<Buffer | null>;
  /**
   * Writes a file, creating missing folders on the way, and returns its new size. CONFLICT when a
   * folder stands at `uri` or a file on the way; ALREADY_EXISTS for `create` over an existing file;
   * PAYLOAD_TOO_LARGE past `maxBytes`; NOT_FOUND once the account's root is gone. Readers see the
   * old or the new content, never a mix.
   */
  write(account_id: string, uri: string, data: Buffer, options: StorageWriteOptions): Promise<number>;
  /** Creates a folder and the missing ones above it (CONFLICT: a file in the way; NOT_FOUND: no root). */
  mkdir(account_id: string, uri: string): Promise<void>;
  /** A folder's files and folders (links and special files left out); [] if it is not a folder. */
  list(account_id: string, uri: string): Promise<ChildEntry[]>;
  /**
   * Moves a file or folder with everything below it, creating missing folders above `to`.
   * NOT_FOUND without a source, ALREADY_EXISTS when `to` exists, CONFLICT when a file is in the way.
   */
  move(account_id: string, from: string, to: string): Promise<void>;
  /** Removes a file or a folder with everything below it; false if nothing was there. */
  remove(account_id: string, uri: string): Promise<boolean>;
}

export const ROOT_URI = URI_PREFIX;

/**
 * The names below the root of a canonical URI (`viking://a/b` → `['a', 'b']`). A URI that no
 * canonical URI can be (empty, `.` or `..` segments, NUL) is refused: storages build paths and keys
 * from these names and must never leave the account.
 */
export function segmentsOf(uri: string): string[] {
  if (!uri.startsWith(URI_PREFIX)) throw badUri(uri);
  const rest = uri.slice(URI_PREFIX.length);
  if (rest.length === 0) return [];
  const segments = rest.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..' || s.includes('\u0000'))) throw badUri(uri);
  return segments;
}

/** Checks an entry's name before a storage uses it: a valid account id, a canonical URI's names. */
export function checkKey(account_id: string, uri: string): string[] {
  validateId(account_id, 'account_id');
  return segmentsOf(uri);
}

/** Whether `inner` is `outer` or below it. */
export function isAtOrBelow(inner: string, outer: string): boolean {
  return inner === outer || outer === ROOT_URI || inner.startsWith(`${outer}/`);
}

function badUri(uri: string): Error {
  // A bug of the caller (URIs are canonical by now), not a client's mistake.
  return new Error(`not a canonical URI: ${JSON.stringify(uri)}`);
}

/** `viking://` followed by the given names. */
export function uriOf(segments: readonly string[]): string {
  return URI_PREFIX + segments.join('/');
}

/** The folders from the root down to the parent of `uri` (`viking://a/b` → root, `viking://a`). */
export function foldersAbove(uri: string): string[] {
  const segments = segmentsOf(uri);
  return segments.map((_, i) => uriOf(segments.slice(0, i)));
}

export function inTheWay(uri: string): AppError {
  return new AppError('CONFLICT', 'a file or folder is in the way', { uri });
}

export function folderAt(uri: string): AppError {
  return new AppError('CONFLICT', 'a folder exists at this URI', { uri });
}

export function fileExists(uri: string): AppError {
  return new AppError('ALREADY_EXISTS', 'the file already exists', { uri });
}

export function destinationExists(uri: string): AppError {
  return new AppError('ALREADY_EXISTS', 'the destination exists', { uri });
}

export function noEntry(uri: string): AppError {
  return new AppError('NOT_FOUND', 'no such file or folder', { uri });
}

export function accountGone(): AppError {
  return new AppError('NOT_FOUND', 'the account no longer exists');
}

export function tooLarge(uri: string, max: number): AppError {
  return new AppError('PAYLOAD_TOO_LARGE', `a file may hold at most ${max} bytes`, {
    uri,
    max_bytes: max,
  });
}
