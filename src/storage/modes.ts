/**
 * File and folder modes of everything under DATA_DIR: owner-only, since it holds every tenant's
 * files, sessions, uploads, the index journal and the key hashes. Each write in our code passes
 * these modes explicitly; `restrictUmask` makes the same the process default at start, so files that
 * libraries create (LanceDB's native writer, multer's upload streams, `fs.cp` in backups) follow.
 */
import { chmod } from 'node:fs/promises';

export const FILE_MODE = 0o600;
export const DIR_MODE = 0o700;

/** Owner-only defaults for every file and folder the process creates from now on (main thread only). */
export function restrictUmask(): void {
  process.umask(0o077);
}

/** Makes an existing folder owner-only (DATA_DIR itself, which may predate this rule). */
export async function restrictDir(path: string): Promise<void> {
  await chmod(path, DIR_MODE);
}

/** Makes an existing file owner-only (one a library wrote with its own mode). */
export async function restrictFile(path: string): Promise<void> {
  await chmod(path, FILE_MODE);
}
