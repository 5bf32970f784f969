import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh folder under the OS temp dir for one test, removed by `remove()`. */
export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * Temp folders for the tests of one file: `make(prefix)` creates one, `removeAll()` deletes every one
 * made so far. The caller registers `removeAll` with its runner's hook (afterEach, afterAll), so this
 * module stays free of vitest: the e2e suite imports it too.
 */
export function tempDirs(): { make(prefix: string): string; removeAll(): void } {
  const made: { path: string; remove(): void }[] = [];
  return {
    make: (prefix) => {
      const dir = tempDir(prefix);
      made.push(dir);
      return dir.path;
    },
    removeAll: () => {
      for (const dir of made.splice(0)) dir.remove();
    },
  };
}
