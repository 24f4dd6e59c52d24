/**
 * The one error type of VikingScope. Callers switch on `code`, never on messages; only the HTTP
 * layer knows which status number a code maps to. Each code has its details' shape ({@link ErrorDetails}).
 */
export const ERROR_CODES = [
  'INVALID_ARGUMENT',
  'INVALID_URI',
  'UNAUTHENTICATED',
  'PERMISSION_DENIED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'CONFLICT',
  'FAILED_PRECONDITION',
  'PAYLOAD_TOO_LARGE',
  'RESOURCE_EXHAUSTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DEADLINE_EXCEEDED',
  'INSUFFICIENT_STORAGE',
  'UNIMPLEMENTED',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** A field of a request that failed its check (`field` like `parts.0.text`, '' for the whole value). */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

/** What an error is about, by the id that names it (the client mapping derives `resource`/`type`). */
export interface Subject {
  readonly uri?: string;
  readonly session_id?: string;
  readonly archive_id?: string;
  readonly user_id?: string;
  readonly account_id?: string;
  readonly task_id?: string;
  readonly temp_file_id?: string;
}

/** A move's two sides. */
interface Move {
  readonly from_uri?: string;
  readonly to_uri?: string;
}

/** An embedder's identity, as an index records it. */
interface Embedder {
  readonly id: string;
  readonly dimension: number;
}

/** Retry hints of refusals under load (`retry_after_s` is also sent as `Retry-After`). */
interface Retry {
  readonly retry_after_s?: number;
}

/** A model server (SPEC 15) and the setting that names it. */
interface ModelServer {
  readonly setting?: string;
  readonly url?: string;
  readonly status?: number;
  /** Vector lengths: the configured or first-seen one, and the one answered. */
  readonly expected?: number;
  readonly got?: number;
}

interface DetailsOfCode {
  INVALID_ARGUMENT: Subject &
    Move & {
      /** The one field at fault, or the fields (with their messages, or header names). */
      readonly field?: string;
      readonly fields?: readonly FieldError[] | readonly string[];
      /** Headers the route requires. */
      readonly required?: readonly string[];
      /** The body parser's error type. */
      readonly type?: string;
      /** A member of an uploaded archive, and the archive's root. */
      readonly entry?: string;
      readonly root?: string;
      readonly file?: string;
      readonly url?: string;
      readonly status?: number;
      readonly warnings?: readonly string[];
      readonly dest?: string;
      /** A limit of a document's shape (e.g. how deep HTML may nest). */
      readonly limit?: number;
      /** The position of the failing item in a batch. */
      readonly index?: number;
    };
  INVALID_URI: { readonly uri?: string; readonly index?: number };
  UNAUTHENTICATED: Record<never, never>;
  PERMISSION_DENIED: Subject &
    Move & { readonly host?: string; readonly address?: string; readonly hint?: string };
  NOT_FOUND: Subject & { readonly route?: string; readonly index?: number };
  ALREADY_EXISTS: Subject & { readonly dest?: string };
  CONFLICT: Subject;
  FAILED_PRECONDITION: Subject &
    ModelServer & {
      /** An embedding model that cannot be loaded. */
      readonly model?: string;
      /** Embedder identities: the one an index was built with (`indexed`, `stored`), the configured one. */
      readonly indexed?: Embedder;
      readonly stored?: Embedder | null;
      readonly configured?: Embedder;
      /** A DATA_DIR locked by another process. */
      readonly data_dir?: string;
      readonly holder_pid?: number;
      readonly path?: string;
      readonly errno?: string;
    };
  PAYLOAD_TOO_LARGE: Subject & {
    readonly max_bytes?: number;
    readonly limit?: number;
    readonly entry?: string;
    /** A document (or archive) that took too long or too much memory to read, and those bounds. */
    readonly file?: string;
    readonly pages?: number;
    readonly timeout_s?: number;
    readonly max_memory_mb?: number;
  };
  RESOURCE_EXHAUSTED: Subject &
    Retry & {
      /** The cap that was reached (e.g. documents one account may have waiting to be converted). */
      readonly limit?: number;
      readonly max_index_lag_s?: number;
      readonly indexing_paused?: string;
    };
  INTERNAL: Subject & { readonly indexed?: boolean };
  UNAVAILABLE: Subject & Retry & ModelServer & { readonly checks?: unknown };
  DEADLINE_EXCEEDED: ModelServer & { readonly timeout_s?: number };
  /** `reason` is the fault's kind (`disk_full`, …), `errno` the system's name for it (`ENOSPC`). */
  INSUFFICIENT_STORAGE: { readonly reason: string; readonly errno: string };
  /** An OpenViking feature this server does not implement (`watches`, `snapshots`), and the route asked. */
  UNIMPLEMENTED: { readonly feature: string; readonly route: string };
}

/**
 * The details each error code carries (sent to the client as `error.details`). Every error of a code
 * builds its details from this shape, and every reader reads its fields: no key is guessed.
 */
export type ErrorDetails = { readonly [C in ErrorCode]: DetailsOfCode[C] };

/** An error of one code, with the details of that code. */
export class AppError<C extends ErrorCode = ErrorCode> extends Error {
  readonly code: C;
  readonly details: ErrorDetails[C];

  constructor(code: C, message: string, ...[details]: DetailsArgument<C>) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    // Details are optional only for codes whose fields all are.
    this.details = details ?? ({} as ErrorDetails[C]);
  }
}

/** The details argument: optional when every field of the code's details is. */
type DetailsArgument<C extends ErrorCode> =
  Partial<ErrorDetails[C]> extends ErrorDetails[C] ? [details?: ErrorDetails[C]] : [details: ErrorDetails[C]];

/** The details of an error if it has the given code (undefined otherwise). */
export function detailsOf<C extends ErrorCode>(error: AppError, code: C): ErrorDetails[C] | undefined {
  // The constructor ties the details' shape to the code.
  return error.code === code ? (error.details as ErrorDetails[C]) : undefined;
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}

/** Exhaustiveness guard for discriminated unions. */
export function assertNever(value: never): never {
  throw new AppError('INTERNAL', `unexpected value: ${JSON.stringify(value)}`);
}

/**
 * `items[index]` where the caller knows the index is in range and the slot filled: throws INTERNAL on a
 * hole instead of letting `undefined` through as a `T` (what `items[index] as T` would claim unchecked).
 * @example itemAt(['a', 'b'], 1) // 'b'
 */
export function itemAt<T>(items: ArrayLike<T | undefined>, index: number): T {
  const item = items[index];
  if (item === undefined) throw new AppError('INTERNAL', `no item at index ${index} of ${items.length}`);
  return item;
}

/**
 * The errno name of a node error (`ENOENT`, `EEXIST`, …), or undefined for anything else.
 * Duck-typed: errors from node:fs may come from another realm (e.g. under jest's VM modules).
 */
export function errnoOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

/** The `name` of anything thrown (`TimeoutError`, `AbortError`, …; duck-typed like {@link errnoOf}). */
export function errorNameOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('name' in error)) return undefined;
  return typeof error.name === 'string' ? error.name : undefined;
}

/** Whether something thrown is an Error of any realm: it has an Error's string name and message. */
export function isErrorLike(error: unknown): error is Error {
  if (typeof error !== 'object' || error === null || !('name' in error) || !('message' in error))
    return false;
  return typeof error.name === 'string' && typeof error.message === 'string';
}

/** The message of anything thrown (duck-typed like {@link errnoOf}), or its string form. */
export function messageOf(error: unknown): string {
  const message =
    typeof error === 'object' && error !== null && 'message' in error ? error.message : undefined;
  return typeof message === 'string' ? message : String(error);
}
