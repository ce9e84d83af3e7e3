import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ServerKitErrorCode } from '../server-kit-error.js';
import { DataDirLock } from './data-dir-lock.js';
import { openDatabase } from './open-database.js';

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const CHILD = fileURLToPath(new URL('../test-support/open-db-child.ts', import.meta.url));

function startChild(dataDir: string): { child: ChildProcess; line: Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir], {
    cwd: REPO_ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
    timeout: 60_000,
  });
  const line = new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(out.trim());
    });
    child.once('exit', (code) => resolve(out.trim() || `exit ${code}`));
    child.once('error', reject);
  });
  return { child, line };
}

describe('PGlite data-directory lock', () => {
  const dirs: string[] = [];
  const children: ChildProcess[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'gc-lock-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('a second process is refused with GC_ERR_DB_LOCKED; a dead owner’s lock is taken over', async () => {
    const dataDir = tempDir();
    const holder = startChild(dataDir);
    children.push(holder.child);
    expect(await holder.line).toBe('ready');
    const lockPid = Number(readFileSync(join(dataDir, 'server.lock'), 'utf8'));
    expect(lockPid).toBe(holder.child.pid);

    const err = await openDatabase({ dataDir }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: ServerKitErrorCode.DbLocked });
    expect((err as Error).message).toContain(String(holder.child.pid));

    // A second child is refused too (cross-process in both directions).
    const second = startChild(dataDir);
    children.push(second.child);
    expect(await second.line).toBe(`error ${ServerKitErrorCode.DbLocked}`);

    // The owner dies without cleaning up: its lock is stale and is taken over.
    holder.child.kill('SIGKILL');
    await new Promise((resolve) => holder.child.once('exit', resolve));
    const database = await openDatabase({ dataDir });
    try {
      expect(Number(readFileSync(join(dataDir, 'server.lock'), 'utf8'))).toBe(process.pid);
      expect(await database.query('select 1 as one')).toEqual([{ one: 1 }]);
    } finally {
      await database.close();
    }
    // close() released it.
    expect(() => readFileSync(join(dataDir, 'server.lock'))).toThrow();
  }, 90_000);

  it('a lock file with garbage content is treated as stale; release only removes our own lock', () => {
    const dir = tempDir();
    const path = join(dir, 'server.lock');
    writeFileSync(path, 'not a pid');
    const lock = DataDirLock.acquire(path);
    expect(lock.held).toBe(true);
    expect(() => DataDirLock.acquire(path)).toThrow(
      expect.objectContaining({ code: ServerKitErrorCode.DbLocked }),
    );
    writeFileSync(path, '1\n'); // someone else (pid 1) now claims it
    lock.release();
    expect(readFileSync(path, 'utf8')).toBe('1\n');
  });
});
