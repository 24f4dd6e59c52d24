/**
 * Reading the source of truth: which files under an account are indexed, walking a subtree on disk,
 * and parsing a session's `messages.jsonl` into message sources. Knows nothing about LanceDB.
 */
import { lstat, readdir, readFile } from 'node:fs/promises';
import { z } from 'zod';
import { childUri } from '../policy/index.js';
import { TEMP_PREFIX } from '../storage/atomic.js';
import { pathOfUri, SYSTEM_DIR } from '../storage/paths.js';
import type { MessageSource } from './records.js';

/** A stored session message line (SPEC 8.1); only what the index needs, other fields ignored. */
const storedMessageSchema = z.object({
  id: z.string().min(1),
  role: z.string(),
  role_id: z.string().nullish(),
  parts: z.array(z.object({ type: z.string(), text: z.unknown().optional() }).loose()).optional(),
  content: z.string().optional(),
  created_at: z.union([z.string(), z.number()]).optional(),
});

export interface ParsedMessage extends MessageSource {
  readonly id: string;
}

/** The text of a message: its text parts joined by newlines (or `content` if it has no parts). */
function messageText(message: z.infer<typeof storedMessageSchema>): string {
  if (message.parts === undefined) return message.content ?? '';
  return message.parts
    .filter((p) => p.type === 'text' && typeof p.text === 'string')
    .map((p) => p.text as string)
    .join('\n');
}

/** Messages of a `messages.jsonl` text; unreadable lines are skipped. */
export function parseMessages(text: string): ParsedMessage[] {
  const out: ParsedMessage[] = [];
  for (const line of text.split('\n')) {
    if (line.trim().length === 0) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue;
    }
    const parsed = storedMessageSchema.safeParse(value);
    if (!parsed.success) continue;
    const m = parsed.data;
    out.push({
      id: m.id,
      role: m.role,
      role_id: m.role_id ?? null,
      text: messageText(m),
      created_at: m.created_at ?? 0,
    });
  }
  return out;
}

/** Session id of a live or archived `messages.jsonl` URI, else null. */
export function sessionOfMessagesFile(uri: string): string | null {
  const match = /^viking:\/\/session\/([^/]+)\/(?:history\/[^/]+\/)?messages\.jsonl$/.exec(uri);
  return match?.[1] ?? null;
}

/** Whether a file URI holds indexable content (not session bookkeeping, not temp or lock files). */
export function isIndexedFileUri(uri: string): boolean {
  const name = uri.slice(uri.lastIndexOf('/') + 1);
  if (name.startsWith(TEMP_PREFIX)) return false;
  if (uri.startsWith('viking://session/') && (name === '.meta.json' || name.endsWith('.lock'))) {
    return false;
  }
  return true;
}

/**
 * Canonical URIs of every regular file at or under `uri` on disk (none if it does not exist).
 * `_system` and temporary files are skipped; symlinks are not followed.
 */
export async function walkFiles(dataDir: string, account_id: string, uri: string): Promise<string[]> {
  const out: string[] = [];
  const visit = async (current: string): Promise<void> => {
    let info;
    try {
      info = await lstat(pathOfUri(dataDir, account_id, current));
    } catch {
      return;
    }
    if (info.isFile()) {
      if (isIndexedFileUri(current)) out.push(current);
      return;
    }
    if (!info.isDirectory()) return;
    const names = await readdir(pathOfUri(dataDir, account_id, current));
    for (const name of names.sort()) {
      if (name.startsWith(TEMP_PREFIX)) continue;
      if (current === 'viking://' && name === SYSTEM_DIR) continue;
      await visit(childUri(current, name));
    }
  };
  await visit(uri);
  return out;
}

/** A file's bytes and times, or null if it is missing or not a regular file. */
export async function readFileAt(
  dataDir: string,
  account_id: string,
  uri: string,
): Promise<{ bytes: Buffer; created_at: number; updated_at: number } | null> {
  const path = pathOfUri(dataDir, account_id, uri);
  try {
    const info = await lstat(path);
    if (!info.isFile()) return null;
    const bytes = await readFile(path);
    const created = info.birthtimeMs > 0 ? info.birthtimeMs : info.mtimeMs;
    return { bytes, created_at: Math.floor(created), updated_at: Math.floor(info.mtimeMs) };
  } catch {
    return null;
  }
}
