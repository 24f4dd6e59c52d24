/**
 * The on-disk layout of sessions (SPEC 8) and its crash-safe primitives:
 * `{DATA_DIR}/fs/{account}/session/{S}/messages.jsonl`, `.meta.json`, `history/archive_NNN/`.
 * Appends write one complete line per call; readers skip lines that do not parse (a crash mid-append
 * leaves a torn line, and the next append starts on a fresh line so it never glues onto one); an
 * append that fails (a full disk) is cut off again. `.meta.json` is replaced atomically; one that is
 * unreadable, or missing beside a message log, is reported as damaged so it can be rebuilt.
 */
import { constants } from 'node:fs';
import { lstat, open, readdir, rename, rm } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import { AppError, errnoOf } from '../errors.js';
import { logger } from '../log.js';
import { DEFAULT_POLICY, isValidId, resolveUri } from '../policy/index.js';
import { accountDir, pathOfUri } from '../storage/paths.js';
import { TEMP_PREFIX, mkdirWithin, writeFileAtomic } from '../storage/atomic.js';
import { linkOnTheWay, readTextNoFollow } from '../storage/links.js';
import { SESSION_META_FILE } from '../storage/names.js';
import { appendLines, parseJson, parseJsonl } from '../storage/jsonl.js';
import { sessionMetaSchema, storedMessageSchema, type SessionMeta, type StoredMessage } from './schema.js';

export { parseJson } from '../storage/jsonl.js';

export const MESSAGES_FILE = 'messages.jsonl';
export const META_FILE = SESSION_META_FILE;
export const HISTORY_DIR = 'history';
export const OVERVIEW_FILE = '.overview.md';
export const ABSTRACT_FILE = '.abstract.md';
const ARCHIVE_PATTERN = /^archive_(\d{3,})$/;

/** A session's `.meta.json` as found on disk. */
export type MetaOnDisk =
  | { readonly state: 'missing' }
  | { readonly state: 'ok'; readonly meta: SessionMeta }
  /** Truncated, not a meta, or missing while `messages.jsonl` exists: rebuild it from the log. */
  | { readonly state: 'damaged' };

export function sessionUri(session_id: string): string {
  return `viking://session/${session_id}`;
}

export function archiveName(n: number): string {
  return `archive_${String(n).padStart(3, '0')}`;
}

function isMissing(error: unknown): boolean {
  return errnoOf(error) === 'ENOENT';
}

/** Parses `messages.jsonl` text, skipping blank and unparseable (torn) lines. */
export function parseMessages(text: string, where: string): StoredMessage[] {
  return parseJsonl(text, storedMessageSchema, () =>
    logger.warn({ where }, 'skipping an unreadable session message line'),
  );
}

/** Paths and file operations of one DATA_DIR's sessions. Holds no locks: the service serialises. */
export class SessionFiles {
  constructor(private readonly dataDir: string) {}

  /** Folder of `viking://session/{S}` (S must already be a valid id). */
  dir(account_id: string, session_id: string): string {
    return pathOfUri(this.dataDir, account_id, resolveUri(sessionUri(session_id), null, DEFAULT_POLICY).uri);
  }

  /**
   * Creates a session's folder (and `viking://session` if missing) inside the existing account folder;
   * `NOT_FOUND` if the account was deleted meanwhile (only account creation makes that folder).
   */
  async makeDir(account_id: string, session_id: string): Promise<void> {
    await mkdirWithin(accountDir(this.dataDir, account_id), this.dir(account_id, session_id));
  }

  /** Replaces a session file atomically, creating folders only inside the account folder. */
  async writeFile(account_id: string, path: string, content: string): Promise<void> {
    await this.refuseLinks(path);
    await writeFileAtomic(path, content, { within: accountDir(this.dataDir, account_id) });
  }

  /** The account folder a session path lies in (every path here is below `{DATA_DIR}/fs/{account}`). */
  private accountRootOf(path: string): string {
    const fsRoot = join(this.dataDir, 'fs');
    return join(fsRoot, relative(fsRoot, path).split(sep)[0] ?? '');
  }

  /** Whether `path` leads through a symbolic link (never followed: it could leave the account). */
  private throughLink(path: string): Promise<boolean> {
    return linkOnTheWay(this.accountRootOf(path), path);
  }

  private async refuseLinks(path: string): Promise<void> {
    if (await this.throughLink(path)) throw new AppError('CONFLICT', 'a file or folder is in the way');
  }

  /** A regular file's text, or null if there is none (links are not followed). */
  private async readOrNull(path: string): Promise<string | null> {
    return (await this.throughLink(path)) ? null : readTextNoFollow(path);
  }

  root(account_id: string): string {
    return pathOfUri(this.dataDir, account_id, 'viking://session');
  }

  messagesPath(account_id: string, session_id: string): string {
    return join(this.dir(account_id, session_id), MESSAGES_FILE);
  }

  historyDir(account_id: string, session_id: string): string {
    return join(this.dir(account_id, session_id), HISTORY_DIR);
  }

  async readMeta(account_id: string, session_id: string): Promise<MetaOnDisk> {
    const text = await this.readOrNull(join(this.dir(account_id, session_id), META_FILE));
    if (text === null) {
      const log = await this.isFile(this.messagesPath(account_id, session_id));
      return log ? { state: 'damaged' } : { state: 'missing' };
    }
    const parsed = sessionMetaSchema.safeParse(parseJson(text));
    return parsed.success ? { state: 'ok', meta: parsed.data } : { state: 'damaged' };
  }

  async writeMeta(account_id: string, meta: SessionMeta): Promise<void> {
    const path = join(this.dir(account_id, meta.session_id), META_FILE);
    await this.writeFile(account_id, path, `${JSON.stringify(meta, null, 2)}\n`);
  }

  /** A file's text, or '' if it does not exist. */
  async readText(path: string): Promise<string> {
    return (await this.readOrNull(path)) ?? '';
  }

  async readMessagesAt(path: string): Promise<StoredMessage[]> {
    return parseMessages(await this.readText(path), path);
  }

  /** Size of a regular file; 0 if there is none (links are not followed). */
  async size(path: string): Promise<number> {
    return (await this.fileInfo(path))?.size ?? 0;
  }

  /** Whether a regular file is at `path` (links are not followed). */
  async isFile(path: string): Promise<boolean> {
    return (await this.fileInfo(path)) !== null;
  }

  private async fileInfo(path: string): Promise<{ size: number } | null> {
    if (await this.throughLink(path)) return null;
    try {
      const info = await lstat(path);
      return info.isFile() ? info : null;
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  /**
   * Appends `line` as complete line(s) in a single write (storage/jsonl.ts: after a newline if the
   * file ends in a torn line, cut back if the write fails). Returns the file's new size.
   */
  async appendLine(path: string, line: string): Promise<number> {
    await this.refuseLinks(path);
    const flags = constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;
    const handle = await open(path, flags, 0o600).catch((error: unknown) => {
      if (errnoOf(error) === 'ELOOP') {
        throw new AppError('CONFLICT', 'a file or folder is in the way');
      }
      throw error;
    });
    try {
      return await appendLines(handle, [line]);
    } finally {
      await handle.close();
    }
  }

  /** Archive numbers present under `history/`, ascending. */
  async archiveNumbers(account_id: string, session_id: string): Promise<number[]> {
    const names = await this.readDirNames(this.historyDir(account_id, session_id));
    return names
      .map((name) => ARCHIVE_PATTERN.exec(name)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
  }

  async readArchiveFile(account_id: string, session_id: string, n: number, file: string): Promise<string> {
    return this.readText(join(this.historyDir(account_id, session_id), archiveName(n), file));
  }

  /**
   * Creates `history/archive_{n}` with `files` in one step: the folder is filled under a temporary
   * name and renamed, so an archive is either complete or absent.
   */
  async writeArchive(
    account_id: string,
    session_id: string,
    n: number,
    files: Record<string, string>,
  ): Promise<void> {
    const history = this.historyDir(account_id, session_id);
    const temp = join(history, `${TEMP_PREFIX}${archiveName(n)}-${randomBytes(6).toString('hex')}`);
    await this.refuseLinks(temp);
    await mkdirWithin(accountDir(this.dataDir, account_id), temp);
    try {
      for (const [name, content] of Object.entries(files)) {
        await this.writeFile(account_id, join(temp, name), content);
      }
      await rename(temp, join(history, archiveName(n)));
    } catch (error) {
      await rm(temp, { recursive: true, force: true });
      throw error;
    }
  }

  /** Ids of the account's sessions (folders with a valid id and a `.meta.json` or a message log), sorted. */
  async sessionIds(account_id: string): Promise<string[]> {
    const names = (await this.readDirNames(this.root(account_id))).filter(isValidId).sort();
    const present = await Promise.all(
      names.map(
        async (name) =>
          (await this.isFile(join(this.root(account_id), name, META_FILE))) ||
          (await this.isFile(join(this.root(account_id), name, MESSAGES_FILE))),
      ),
    );
    return names.filter((_, i) => present[i] === true);
  }

  async removeSession(account_id: string, session_id: string): Promise<void> {
    // A link at the session folder itself is removed, not followed; a linked parent is refused.
    await this.refuseLinks(this.dir(account_id, session_id));
    await rm(this.dir(account_id, session_id), { recursive: true, force: true });
  }

  private async readDirNames(path: string): Promise<string[]> {
    if (await this.throughLink(join(path, 'entry'))) return [];
    try {
      return (await readdir(path, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
    } catch (error) {
      if (isMissing(error)) return [];
      throw error;
    }
  }
}
