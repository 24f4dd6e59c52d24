/**
 * Index records (SPEC 9.2): stable ids, chunking of file text, and the construction of file, folder
 * and message records (their columns are defined once, in policy/columns.ts). Owner fields and
 * context types always come from the canonical URI through the policy core — never from request data.
 */
import { createHash } from 'node:crypto';
import {
  ABSTRACT_CHARS,
  contextTypeOf,
  resolveUri,
  type IndexRecord,
  type NamespacePolicy,
  type RecordDraft,
  type ResolvedUri,
  ROOT_URI,
} from '../policy/index.js';
import { eachInSlices, type SliceOptions } from '../time-slices.js';

export type { IndexRecord, RecordDraft } from '../policy/index.js';

/** Level of a folder's `.abstract.md` / `.overview.md` records, and of everything else. */
export const FOLDER_META: ReadonlyMap<string, number> = new Map([
  ['.abstract.md', 0],
  ['.overview.md', 1],
]);
export const LEVEL_CHUNK = 2;

export interface ChunkOptions {
  readonly size: number;
  readonly overlap: number;
}
export const DEFAULT_CHUNKING: ChunkOptions = { size: 1000, overlap: 200 };

/** Stable record id: a hash of account, URI, level and chunk number. */
export function recordId(account_id: string, uri: string, level: number, chunk_index: number): string {
  return createHash('sha256')
    .update(JSON.stringify([account_id, uri, level, chunk_index]))
    .digest('hex')
    .slice(0, 32);
}

/** The text of a file's bytes, or null if they are not valid UTF-8 text (binary, NUL bytes). */
export function decodeText(bytes: Uint8Array): string | null {
  if (bytes.includes(0)) return null;
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return null;
  }
}

/** Where a chunk ending near `end` should stop: the last whitespace in its final quarter, if any. */
function cutPoint(text: string, start: number, end: number, size: number): number {
  if (end >= text.length) return text.length;
  const floor = start + Math.floor(size * 0.75);
  for (let i = end; i > floor; i--) {
    if (/\s/.test(text.charAt(i))) return i;
  }
  return end;
}

/** Where the next chunk starts: about `overlap` before `end`, moved forward to a word start. */
function nextStart(text: string, start: number, end: number, overlap: number): number {
  let next = Math.max(start + 1, end - overlap);
  while (next < end && !/\s/.test(text.charAt(next - 1))) next++;
  return next < end ? next : Math.max(start + 1, end - overlap);
}

/**
 * Splits text into overlapping passages of about `size` characters, cut on whitespace where possible.
 * Whitespace-only text gives no chunks.
 * @example chunkText('a b c', { size: 1000, overlap: 200 }) // ['a b c']
 */
export function chunkText(text: string, options: ChunkOptions = DEFAULT_CHUNKING): string[] {
  return [...passagesOf(text, options)];
}

/** {@link chunkText}'s passages one at a time (a 10 MiB text took one block of ~100 ms to cut whole). */
function* passagesOf(text: string, options: ChunkOptions): Generator<string> {
  if (text.trim().length === 0) return;
  if (text.length <= options.size) {
    yield text;
    return;
  }
  let start = 0;
  for (;;) {
    const end = cutPoint(text, start, start + options.size, options.size);
    const chunk = text.slice(start, end);
    if (chunk.trim().length > 0) yield chunk;
    if (end >= text.length) return;
    start = nextStart(text, start, end, options.overlap);
  }
}

interface Times {
  readonly created_at: number;
  readonly updated_at: number;
}

interface Message {
  readonly session_id: string;
  readonly message_id: string;
  readonly role: string | null;
  readonly role_id: string | null;
}

/**
 * A record draft, every column named once in one object literal: all drafts share one shape (a
 * hidden class of V8's). Built with spreads (of the base, of the message columns, of the times —
 * which carried the file's `bytes` into every record), a large file's 12k drafts each had a
 * dictionary of its own: ~10 MB more heap for the 9.5 MiB file (issue 23 item 5).
 */
function draft(
  account_id: string,
  resolved: ResolvedUri,
  level: number,
  chunk_index: number,
  text: string,
  message: Message | null,
  times: Times,
): RecordDraft {
  return {
    id: recordId(account_id, resolved.uri, level, chunk_index),
    account_id,
    uri: resolved.uri,
    scope: resolved.scope ?? '',
    owner_user_id: resolved.owner_user_id,
    owner_agent_id: resolved.owner_agent_id,
    context_type: contextTypeOf(resolved),
    level,
    chunk_index,
    text,
    abstract: text.trim().slice(0, ABSTRACT_CHARS),
    session_id: message?.session_id ?? null,
    message_id: message?.message_id ?? null,
    role: message?.role ?? null,
    role_id: message?.role_id ?? null,
    created_at: times.created_at,
    updated_at: times.updated_at,
  };
}

/**
 * The record of a draft and its vector, every column named once (as in {@link draft}): built with a
 * spread at a site that meets drafts of several shapes, V8 gave each of a large file's 12.4k records
 * a hidden class and descriptor array of its own (~9 MB; issue 23 item 5).
 */
export function recordOf(d: RecordDraft, vector: Float32Array): IndexRecord {
  return {
    id: d.id,
    account_id: d.account_id,
    uri: d.uri,
    scope: d.scope,
    owner_user_id: d.owner_user_id,
    owner_agent_id: d.owner_agent_id,
    context_type: d.context_type,
    level: d.level,
    chunk_index: d.chunk_index,
    text: d.text,
    abstract: d.abstract,
    session_id: d.session_id,
    message_id: d.message_id,
    role: d.role,
    role_id: d.role_id,
    created_at: d.created_at,
    updated_at: d.updated_at,
    vector,
  };
}

/** Level of the folder record a file name produces (0/1), or null for an ordinary file. */
export function folderMetaLevel(uri: string): number | null {
  const name = uri.slice(uri.lastIndexOf('/') + 1);
  return FOLDER_META.get(name) ?? null;
}

/** The URI a file's records carry: the folder's for `.abstract.md`/`.overview.md`, else its own. */
export function recordUriOfFile(uri: string): string {
  if (folderMetaLevel(uri) === null) return uri;
  const parent = uri.slice(0, uri.lastIndexOf('/'));
  return parent === 'viking:/' ? ROOT_URI : parent;
}

/** A file's passages and how each becomes its record (shared by the two forms below). */
function fileRecordMaker(
  account_id: string,
  uri: string,
  text: string,
  policy: NamespacePolicy,
  times: Times,
  chunking: ChunkOptions,
): { passages: Iterable<string>; make: (passage: string, chunk_index: number) => RecordDraft } {
  const level = folderMetaLevel(uri);
  const resolved = resolveUri(recordUriOfFile(uri), null, policy);
  const passages = level === null ? passagesOf(text, chunking) : text.trim() ? [text] : [];
  const make = (passage: string, chunk_index: number): RecordDraft =>
    draft(account_id, resolved, level ?? LEVEL_CHUNK, chunk_index, passage, null, times);
  return { passages, make };
}

/**
 * Records of a text file at a canonical URI: one per chunk (level 2), or a single level 0/1 record of
 * the folder for `.abstract.md`/`.overview.md`. Throws `INVALID_URI` if the URI is not canonical.
 */
export function fileRecords(
  account_id: string,
  uri: string,
  text: string,
  policy: NamespacePolicy,
  times: Times,
  chunking: ChunkOptions = DEFAULT_CHUNKING,
): RecordDraft[] {
  const { passages, make } = fileRecordMaker(account_id, uri, text, policy, times, chunking);
  return Array.from(passages, make);
}

/**
 * {@link fileRecords} in time slices ({@link eachInSlices}), cutting the passages as it goes: a 10 MiB
 * file is ~13k records, each hashed for its id, which took one block of up to a second under load
 * when made at once.
 */
export async function fileRecordsInSlices(
  account_id: string,
  uri: string,
  text: string,
  policy: NamespacePolicy,
  times: Times,
  chunking: ChunkOptions,
  slices: SliceOptions = {},
): Promise<RecordDraft[]> {
  const { passages, make } = fileRecordMaker(account_id, uri, text, policy, times, chunking);
  const drafts: RecordDraft[] = [];
  await eachInSlices(passages, (passage, i) => drafts.push(make(passage, i)), slices);
  return drafts;
}

/** A session message as the index needs it. */
export interface MessageSource {
  readonly role: string;
  readonly role_id: string | null;
  readonly text: string;
  /** ISO string or epoch milliseconds. */
  readonly created_at: string | number;
}

/** Canonical URI of a session message record (SPEC 9.1). */
export function messageUri(session_id: string, message_id: string): string {
  return `viking://session/${session_id}/messages/${message_id}`;
}

export function toEpochMs(value: string | number, fallback: number): number {
  const ms = typeof value === 'number' ? value : Date.parse(value);
  return Number.isFinite(ms) ? ms : fallback;
}

/** The one record of a session message (level 2, chunk 0), or none if it has no text. */
export function messageRecords(
  account_id: string,
  session_id: string,
  message_id: string,
  message: MessageSource,
  policy: NamespacePolicy,
): RecordDraft[] {
  if (message.text.trim().length === 0) return [];
  const resolved = resolveUri(messageUri(session_id, message_id), null, policy);
  const created_at = toEpochMs(message.created_at, Date.now());
  const times = { created_at, updated_at: created_at };
  const columns = { session_id, message_id, role: message.role, role_id: message.role_id };
  return [draft(account_id, resolved, LEVEL_CHUNK, 0, message.text, columns, times)];
}
