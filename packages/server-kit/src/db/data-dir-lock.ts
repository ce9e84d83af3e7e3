import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { ServerKitError, ServerKitErrorCode } from '../server-kit-error.js';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else — still alive.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readPid(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * An exclusive, cross-process lock on a PGlite data directory: a file created with O_EXCL holding
 * the owner's pid. A lock whose pid is dead is stale and taken over; a live one refuses with
 * GC_ERR_DB_LOCKED. PGlite is one process's database — two writers would corrupt it.
 */
export class DataDirLock {
  readonly path: string;
  #held = false;

  private constructor(path: string) {
    this.path = path;
  }

  /** Takes the lock or throws GC_ERR_DB_LOCKED. */
  static acquire(path: string): DataDirLock {
    const lock = new DataDirLock(path);
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fd = openSync(path, 'wx', 0o600);
        try {
          writeSync(fd, `${process.pid}\n`);
        } finally {
          closeSync(fd);
        }
        lock.#held = true;
        return lock;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const pid = readPid(path);
      if (pid !== undefined && isAlive(pid)) {
        throw new ServerKitError(
          ServerKitErrorCode.DbLocked,
          `The data directory is in use by process ${pid} (lock file ${path}). Stop that server first, or point this one at another data directory or at PostgreSQL (DATABASE_URL).`,
        );
      }
      // Stale (dead pid, or unreadable content): remove it and try again.
      try {
        unlinkSync(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    throw new ServerKitError(ServerKitErrorCode.DbLocked, `Could not take the data directory lock ${path}.`);
  }

  get held(): boolean {
    return this.#held;
  }

  /** Releases the lock (only if the file still names this process). Idempotent. */
  release(): void {
    if (!this.#held) return;
    this.#held = false;
    if (readPid(this.path) !== process.pid) return;
    try {
      unlinkSync(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}
