import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * One server per store: two would both resume the same runs. The lock file holds the owner's pid; a
 * lock left by a process that no longer exists (kill -9, power loss) is taken over.
 */
export function acquireStoreLock(storeDir: string): () => void {
  const path = join(storeDir, 'server.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' });
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(readFileSync(path, 'utf8'));
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
        throw new Error(`the store ${storeDir} is in use by another server (pid ${owner})`);
      }
      rmSync(path, { force: true });
    }
  }
  throw new Error(`could not lock the store ${storeDir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
