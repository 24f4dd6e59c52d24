/**
 * Injected storage faults, so disk-full and read-only tests run anywhere (no root, no tmpfs; chmod
 * does not stop root): `faultyFs(real)` wraps `node:fs/promises` so that its writes fail below a
 * chosen folder, the way the kernel fails them:
 * - `ENOSPC`: files are still created, but writes put down at most half their bytes and then fail;
 *   `mkdir` fails; renames and removals work (they free space).
 * - `EROFS`: every change fails before it starts, also through file handles opened earlier.
 * Jest tests install it with fs-faults.ts, child processes with fs-faults-preload.ts.
 */
import { constants } from 'node:fs';
import type * as FsPromises from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';

export type InjectedErrno = 'ENOSPC' | 'EROFS';

export interface FsFaults {
  /** From now on, changes below `root` fail with `errno`. */
  inject(errno: InjectedErrno, root: string): void;
  /** Space is freed / the disk is writable again. */
  clear(): void;
  /** How many calls failed since the last `inject`. */
  readonly hits: number;
}

export type Fs = typeof FsPromises;

const WRITE_FLAGS =
  constants.O_WRONLY | constants.O_RDWR | constants.O_CREAT | constants.O_APPEND | constants.O_TRUNC;

function writes(flags: unknown): boolean {
  if (typeof flags === 'number') return (flags & WRITE_FLAGS) !== 0;
  return typeof flags === 'string' && !/^rs?$/.test(flags);
}

function fault(errno: InjectedErrno, syscall: string, path: string): Error {
  const text = errno === 'ENOSPC' ? 'no space left on device' : 'read-only file system';
  return Object.assign(new Error(`${errno}: ${text}, ${syscall} '${path}'`), { code: errno, syscall, path });
}

/** Half of what a write was asked to put down (at least nothing, at most all but one byte). */
function half(data: unknown): string | Uint8Array {
  if (typeof data === 'string') return data.slice(0, Math.floor(data.length / 2));
  if (data instanceof Uint8Array) return data.subarray(0, Math.floor(data.length / 2));
  return '';
}

/** The wrapped module (the real one's functions, some replaced) and the switch of its faults. */
export function faultyFs(real: Fs): { module: Record<string, unknown>; faults: FsFaults } {
  let active: { errno: InjectedErrno; root: string } | null = null;
  let hits = 0;
  const faultAt = (path: unknown, syscall: string): Error | null => {
    if (active === null || !String(path).startsWith(active.root)) return null;
    hits++;
    return fault(active.errno, syscall, String(path));
  };
  /** Fails under EROFS only (the call frees space or changes no data). */
  const readOnlyAt = (path: unknown, syscall: string): Error | null =>
    active?.errno === 'EROFS' ? faultAt(path, syscall) : null;

  const wrapHandle = (handle: FileHandle, path: string): FileHandle => {
    const failingWrite =
      (name: 'writeFile' | 'appendFile' | 'write') =>
      async (data: unknown, ...rest: unknown[]): Promise<unknown> => {
        const error = faultAt(path, 'write');
        if (error === null) return (handle[name] as (...a: unknown[]) => Promise<unknown>)(data, ...rest);
        if (active?.errno === 'ENOSPC') await handle.appendFile(half(data));
        throw error;
      };
    const overrides: Record<string, unknown> = {
      writeFile: failingWrite('writeFile'),
      appendFile: failingWrite('appendFile'),
      write: failingWrite('write'),
      truncate: async (length?: number) => {
        const error = readOnlyAt(path, 'ftruncate');
        if (error !== null) throw error;
        return handle.truncate(length);
      },
    };
    return new Proxy(handle, {
      get(target, prop) {
        if (typeof prop === 'string' && prop in overrides) return overrides[prop];
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  };

  const mocked: Record<string, unknown> = {
    open: async (path: string, flags?: unknown, mode?: number) => {
      const error = writes(flags) ? readOnlyAt(path, 'open') : null;
      if (error !== null) throw error;
      return wrapHandle(await real.open(path, flags as string, mode), String(path));
    },
    writeFile: async (path: string, data: string, options?: unknown) => {
      const error = faultAt(path, 'write');
      if (error === null) return real.writeFile(path, data, options as undefined);
      if (active?.errno === 'ENOSPC') await real.writeFile(path, half(data), options as undefined);
      throw error;
    },
    appendFile: async (path: string, data: string, options?: unknown) => {
      const error = faultAt(path, 'write');
      if (error === null) return real.appendFile(path, data, options as undefined);
      if (active?.errno === 'ENOSPC') await real.appendFile(path, half(data), options as undefined);
      throw error;
    },
    mkdir: async (path: string, options?: unknown) => {
      const error = faultAt(path, 'mkdir');
      if (error !== null) throw error;
      return real.mkdir(path, options as undefined);
    },
  };
  for (const name of ['rename', 'rm', 'unlink', 'truncate', 'copyFile', 'rmdir'] as const) {
    mocked[name] = async (path: string, ...rest: unknown[]) => {
      const error = readOnlyAt(path, name);
      if (error !== null) throw error;
      return (real[name] as (...a: unknown[]) => Promise<unknown>)(path, ...rest);
    };
  }
  const faults: FsFaults = {
    inject(errno, root) {
      active = { errno, root };
      hits = 0;
    },
    clear() {
      active = null;
    },
    get hits() {
      return hits;
    },
  };
  return { module: mocked, faults };
}
