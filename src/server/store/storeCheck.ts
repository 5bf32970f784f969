import Database from 'better-sqlite3';
import { closeSync, existsSync, openSync, readdirSync, readSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Start-up check of a store, before the server serves it: a damaged, foreign or inconsistent store
 * is refused with one line that names the file and says what to do, rather than started and then
 * answering 500s (corrupt pages) or silently starting empty beside old checkpoints (0-byte
 * database). Run with the store lock held and before `SqliteRunStore` opens (and so writes) the database.
 */

export class StoreCheckError extends Error {}

const sqliteHeader = 'SQLite format 3\0';
const checkpointName = /^(.+)\.ckpt$/;

export function checkStore(dir: string): void {
  const dbPath = join(dir, 'runs.sqlite');
  const checkpointDir = join(dir, 'checkpoints');
  removeAbandonedTempFiles(checkpointDir);
  const checkpoints = existsSync(checkpointDir) ? readdirSync(checkpointDir).filter((name) => checkpointName.test(name)) : [];
  const restore = 'restore it from a backup, or move the store folder away to start with an empty one';

  if (!existsSync(dbPath)) {
    if (checkpoints.length > 0) {
      fail(
        `${dbPath} is missing but ${checkpointDir} holds ${checkpoints.length} checkpoint file(s): restore the database from a backup, or move the store folder away to start with an empty one`,
      );
    }
    return;
  }
  const size = statSync(dbPath).size;
  // A 0-byte file with a WAL beside it is a database whose first commit is still in the WAL.
  const walSize = existsSync(`${dbPath}-wal`) ? statSync(`${dbPath}-wal`).size : 0;
  if (size === 0 && walSize === 0) {
    if (checkpoints.length > 0)
      fail(`${dbPath} is empty (0 bytes) but ${checkpointDir} holds ${checkpoints.length} checkpoint file(s): ${restore}`);
    return;
  }
  if (size > 0 && readHeader(dbPath) !== sqliteHeader) fail(`${dbPath} is not an SQLite database: ${restore}`);

  let db: Database.Database | null = null;
  try {
    db = new Database(dbPath, { fileMustExist: true, timeout: 5000 });
    const problems = (db.pragma('quick_check') as { quick_check: string }[]).map((row) => row.quick_check);
    if (problems.length !== 1 || problems[0] !== 'ok')
      fail(`${dbPath} is damaged (SQLite quick_check: ${oneLine(problems[0] ?? 'no answer')}): ${restore}`);
    const tables = new Set(
      (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((row) => row.name),
    );
    if (tables.size > 0 && !(tables.has('runs') && tables.has('events'))) {
      fail(`${dbPath} is an SQLite database but not a SimCLR Lab store (no runs/events tables): give --store a folder of its own`);
    }
    const known = tables.has('runs')
      ? new Set((db.prepare('SELECT id FROM runs').all() as { id: string }[]).map((row) => row.id))
      : new Set<string>();
    const orphans = checkpoints.filter((name) => !known.has(checkpointName.exec(name)![1]));
    if (orphans.length > 0) {
      const others = orphans.length > 1 ? ` and ${orphans.length - 1} other checkpoint file(s)` : '';
      fail(
        `${join(checkpointDir, orphans[0])}${others} belong(s) to no run in ${dbPath}, so the database is not the one they were written with: ${restore} (or move the orphaned files away)`,
      );
    }
  } catch (error) {
    if (error instanceof StoreCheckError) throw error;
    fail(`${dbPath} cannot be read (${oneLine(error instanceof Error ? error.message : String(error))}): ${restore}`);
  } finally {
    db?.close();
  }
}

function fail(message: string): never {
  throw new StoreCheckError(`refusing to start: ${message}`);
}

function readHeader(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(16);
    const n = readSync(fd, buffer, 0, 16, 0);
    return buffer.subarray(0, n).toString('latin1');
  } finally {
    closeSync(fd);
  }
}

/** A checkpoint writer killed mid-write leaves `<id>.ckpt.<suffix>`: never a valid checkpoint. */
function removeAbandonedTempFiles(checkpointDir: string): void {
  if (!existsSync(checkpointDir)) return;
  for (const name of readdirSync(checkpointDir)) {
    if (/\.ckpt\..+$/.test(name)) rmSync(join(checkpointDir, name), { force: true });
  }
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').slice(0, 200);
}
