/**
 * Append-only JSON Lines files (the index job journal, a session's message and usage logs): one
 * module for how they are written and read, so a crash never costs more than the line it interrupted.
 * - An append writes complete lines in one write and fdatasyncs before it resolves. If the file ends
 *   in a torn line (a crash mid-append), a newline goes first, so the new line never glues onto it; if
 *   the append itself fails (a full disk took part of it), the file is cut back to its size before.
 * - A reader skips lines that are not JSON or not a record (the torn one), and tolerates CRLF.
 * - `cutTornTail` drops a torn last line, so a file holds only complete lines again.
 */
import { readFile, type FileHandle } from 'node:fs/promises';
import type { z } from 'zod';
import { errnoOf } from '../errors.js';

const NEWLINE = 0x0a;

/** Whether the file's last byte is a newline (true for an empty file: nothing to glue onto). */
async function endsWithNewline(handle: FileHandle, size: number): Promise<boolean> {
  if (size === 0) return true;
  const last = Buffer.alloc(1);
  await handle.read(last, 0, 1, size - 1);
  return last[0] === NEWLINE;
}

/**
 * Appends `lines` (each without a newline) to a file opened for reading and appending (`'a+'`, or
 * `O_RDWR | O_APPEND`) as complete lines, durably; resolves with the file's new size. On failure the
 * file is cut back to where it was (if that fails too, the next append starts on a fresh line).
 * @example await appendLines(handle, [JSON.stringify(entry)])
 */
export async function appendLines(handle: FileHandle, lines: readonly string[]): Promise<number> {
  const { size } = await handle.stat();
  const prefix = (await endsWithNewline(handle, size)) ? '' : '\n';
  const data = Buffer.from(`${prefix}${lines.map((line) => `${line}\n`).join('')}`, 'utf8');
  try {
    let written = 0;
    while (written < data.length) written += (await handle.write(data, written)).bytesWritten;
    await handle.datasync();
  } catch (error) {
    await handle.truncate(size).catch(() => undefined);
    throw error;
  }
  return size + data.length;
}

/** Truncates a torn last line (one without its newline); resolves with the file's new size. */
export async function cutTornTail(handle: FileHandle): Promise<number> {
  const { size } = await handle.stat();
  if (await endsWithNewline(handle, size)) return size;
  const chunk = Buffer.alloc(64 * 1024);
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - chunk.length);
    const { bytesRead } = await handle.read(chunk, 0, end - start, start);
    const at = chunk.subarray(0, bytesRead).lastIndexOf(NEWLINE);
    if (at >= 0) {
      end = start + at + 1;
      break;
    }
    end = start;
  }
  await handle.truncate(end);
  return end;
}

/** JSON.parse, with undefined for text that is not JSON (a torn line, a truncated file). */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The records of JSON Lines text, in order: blank lines are ignored, and a line that is not JSON or
 * does not match `schema` (a torn line) is left out and handed to `onSkip`.
 * @example parseJsonl('{"n":1}\n{"n":', z.object({ n: z.number() })) // [{ n: 1 }]
 */
export function parseJsonl<S extends z.ZodType>(
  text: string,
  schema: S,
  onSkip?: (line: string) => void,
): z.output<S>[] {
  const records: z.output<S>[] = [];
  for (const line of text.split('\n')) {
    if (line.trim().length === 0) continue;
    const parsed = schema.safeParse(parseJson(line));
    if (parsed.success) records.push(parsed.data);
    else onSkip?.(line);
  }
  return records;
}

/** The records of a JSON Lines file (see parseJsonl); none if the file does not exist. */
export async function readJsonl<S extends z.ZodType>(path: string, schema: S): Promise<z.output<S>[]> {
  try {
    return parseJsonl(await readFile(path, 'utf8'), schema);
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return [];
    throw error;
  }
}
