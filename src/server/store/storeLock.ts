import Database from 'better-sqlite3';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';

/**
 * One server per store: two would both resume the same runs. The lock is the operating system's
 * (SQLite's file lock on `store.lock`, taken exclusively and held for the life of the process), so
 * it is atomic between processes started at the same instant and released by the kernel when the
 * holder exits, kill -9 and power loss included: no pid to trust, nothing stale to take over.
 * `server.pid` only names the holder in the refusal message; it plays no part in the locking.
 */

export class StoreLockedError extends Error {}

export function acquireStoreLock(storeDir: string): () => void {
  const lockPath = join(storeDir, 'store.lock');
  const pidPath = join(storeDir, 'server.pid');
  // timeout 0: fail at once instead of waiting for the holder.
  const db = new Database(lockPath, { timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    // The first write takes the exclusive lock; in EXCLUSIVE locking mode it is kept until close.
    db.exec('BEGIN EXCLUSIVE; CREATE TABLE IF NOT EXISTS lock (held INTEGER); COMMIT;');
  } catch (error) {
    db.close();
    if ((error as { code?: string }).code === 'SQLITE_BUSY') {
      throw new StoreLockedError(
        `the store ${storeDir} is in use by another server${holder(pidPath)}; stop it first, or give this one another --store`,
      );
    }
    throw new StoreLockedError(
      `could not lock the store ${storeDir} (${lockPath}: ${error instanceof Error ? error.message : String(error)})`,
    );
  }
  writeFileAtomic.sync(pidPath, `${process.pid}\n`);
  return () => {
    rmSync(pidPath, { force: true });
    db.close();
  };
}

function holder(pidPath: string): string {
  try {
    const pid = readFileSync(pidPath, 'utf8').trim();
    return /^\d+$/.test(pid) ? ` (pid ${pid})` : '';
  } catch {
    return '';
  }
}
