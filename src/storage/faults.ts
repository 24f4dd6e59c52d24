/**
 * Storage faults: the errors that mean the data directory cannot take writes — a full disk or quota, a
 * read-only mount, missing permissions. They are recognised from node's errno codes and from the
 * LanceDB messages (its Rust I/O errors end in "(os error N)"), so every layer names the cause the same
 * way and answers with one `INSUFFICIENT_STORAGE` error instead of a generic 500.
 */
import { AppError, assertNever, detailsOf, errnoOf, isAppError } from '../errors.js';

export type StorageFaultKind = 'disk_full' | 'read_only' | 'permission_denied';

export interface StorageFault {
  readonly kind: StorageFaultKind;
  /** The errno name (`ENOSPC`, `EROFS`, ...). */
  readonly errno: string;
}

const KIND_OF_ERRNO: Readonly<Record<string, StorageFaultKind>> = {
  ENOSPC: 'disk_full',
  EDQUOT: 'disk_full',
  EROFS: 'read_only',
  EACCES: 'permission_denied',
  EPERM: 'permission_denied',
};

/** Linux errno numbers as Rust prints them ("No space left on device (os error 28)"). */
const ERRNO_OF_OS_ERROR: Readonly<Record<string, string>> = {
  '28': 'ENOSPC',
  '122': 'EDQUOT',
  '30': 'EROFS',
  '13': 'EACCES',
  '1': 'EPERM',
};

const ERRNO_OF_TEXT: ReadonlyArray<readonly [RegExp, string]> = [
  [/no space left on device/i, 'ENOSPC'],
  [/disk quota exceeded/i, 'EDQUOT'],
  [/read-only file system/i, 'EROFS'],
];

/** How deep `cause` chains are followed (LanceDB wraps its I/O errors). */
const MAX_CAUSES = 4;

function kindOf(errno: string): StorageFaultKind | undefined {
  return Object.hasOwn(KIND_OF_ERRNO, errno) ? KIND_OF_ERRNO[errno] : undefined;
}

function errnoIn(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = errnoOf(error);
  if (code !== undefined && kindOf(code) !== undefined) return code;
  const message = 'message' in error ? error.message : undefined;
  if (typeof message !== 'string') return undefined;
  const os = /\(os error (\d+)\)/.exec(message)?.[1];
  if (os !== undefined && Object.hasOwn(ERRNO_OF_OS_ERROR, os)) return ERRNO_OF_OS_ERROR[os];
  return ERRNO_OF_TEXT.find(([pattern]) => pattern.test(message))?.[1];
}

/**
 * The storage fault behind `error` (itself or one of its causes), or null if it is something else.
 * @example
 * storageFaultOf(Object.assign(new Error('…'), { code: 'ENOSPC' })) // {kind: 'disk_full', errno: 'ENOSPC'}
 * storageFaultOf(new Error('Read-only file system (os error 30)')) // {kind: 'read_only', errno: 'EROFS'}
 */
export function storageFaultOf(error: unknown): StorageFault | null {
  let current = error;
  for (let depth = 0; depth <= MAX_CAUSES && current !== undefined; depth++) {
    if (isAppError(current)) return faultOfAppError(current);
    const errno = errnoIn(current);
    const kind = errno === undefined ? undefined : kindOf(errno);
    if (errno !== undefined && kind !== undefined) return { kind, errno };
    current =
      typeof current === 'object' && current !== null && 'cause' in current ? current.cause : undefined;
  }
  return null;
}

function faultOfAppError(error: AppError): StorageFault | null {
  const errno = detailsOf(error, 'INSUFFICIENT_STORAGE')?.errno;
  if (errno === undefined) return null;
  const kind = kindOf(errno);
  return kind === undefined ? null : { kind, errno };
}

/** A sentence naming the cause, for errors, logs and status. */
export function describeFault(fault: StorageFault): string {
  switch (fault.kind) {
    case 'disk_full':
      return `the data directory's disk is full (${fault.errno}); free space and retry`;
    case 'read_only':
      return `the data directory is read-only (${fault.errno})`;
    case 'permission_denied':
      return `the server may not write to the data directory (${fault.errno}: permission denied)`;
    default:
      return assertNever(fault.kind);
  }
}

/** The envelope error of a storage fault: `INSUFFICIENT_STORAGE` with `details.reason` and `errno`. */
export function storageError(fault: StorageFault): AppError {
  return new AppError('INSUFFICIENT_STORAGE', describeFault(fault), {
    reason: fault.kind,
    errno: fault.errno,
  });
}
