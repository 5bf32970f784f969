import Database from 'better-sqlite3';
import { closeSync, mkdirSync, openSync, readdirSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseRunConfig } from '../../core/config';
import { SqliteRunStore } from './runStore';
import { checkStore, StoreCheckError } from './storeCheck';
import { spawnProcess, tempDirs } from '../testSupport';

// A damaged, foreign or inconsistent store is refused at start-up with one line naming the file.
vi.setConfig({ testTimeout: 300_000 });

const temps = tempDirs();
afterEach(() => temps.removeAll());
const newDir = (): string => temps.make('simclr-check-');

/** A real store with enough events to span many database pages, and one checkpoint file. */
function realStore(): { dir: string; runId: string } {
  const dir = newDir();
  const store = new SqliteRunStore(dir);
  const run = store.createRun(parseRunConfig({}));
  store.setStatus(run.id, 'running');
  for (let i = 0; i < 400; i++)
    store.appendEvent(run.id, { type: 'log', time: i, level: 'info', message: `event ${i} ${'x'.repeat(200)}` });
  store.setStatus(run.id, 'succeeded');
  store.saveCheckpointBytes(run.id, new Uint8Array([1, 2, 3]));
  store.close();
  return { dir, runId: run.id };
}

function refusal(dir: string): string {
  try {
    checkStore(dir);
  } catch (error) {
    expect(error).toBeInstanceOf(StoreCheckError);
    return (error as Error).message;
  }
  throw new Error('the store was accepted');
}

/** Overwrites `length` bytes in the middle of the file with a pattern that is no valid page. */
function corruptMiddle(path: string, length = 8192): void {
  const size = statSync(path).size;
  const fd = openSync(path, 'r+');
  writeSync(fd, Buffer.alloc(length, 0xa5), 0, length, Math.floor(size / 2 / 4096) * 4096);
  closeSync(fd);
}

describe('checkStore', () => {
  it('accepts a fresh folder and a healthy store', () => {
    expect(() => checkStore(newDir())).not.toThrow();
    expect(() => checkStore(realStore().dir)).not.toThrow();
  });

  it('refuses a database with corrupted pages, naming the file', () => {
    const { dir } = realStore();
    const db = join(dir, 'runs.sqlite');
    expect(statSync(db).size).toBeGreaterThan(16 * 4096);
    corruptMiddle(db);
    const message = refusal(dir);
    expect(message).toContain(db);
    expect(message).toMatch(/damaged|cannot be read/);
    expect(message).toMatch(/restore it from a backup/);
    expect(message).not.toContain('\n');
  });

  it('refuses a 0-byte database beside checkpoint files, and a missing one', () => {
    const { dir } = realStore();
    const db = join(dir, 'runs.sqlite');
    writeFileSync(db, '');
    expect(refusal(dir)).toMatch(/runs\.sqlite is empty \(0 bytes\) but .*checkpoints holds 1 checkpoint file/);

    const missing = newDir();
    mkdirSync(join(missing, 'checkpoints'));
    writeFileSync(join(missing, 'checkpoints', 'r1.ckpt'), 'x');
    expect(refusal(missing)).toMatch(/runs\.sqlite is missing but/);
  });

  it('refuses a file that is not SQLite, a foreign SQLite database, and checkpoints of unknown runs', () => {
    const text = newDir();
    writeFileSync(join(text, 'runs.sqlite'), 'hello, this is not a database at all');
    expect(refusal(text)).toMatch(/is not an SQLite database/);

    const foreign = newDir();
    const db = new Database(join(foreign, 'runs.sqlite'));
    db.exec('CREATE TABLE invoices (id INTEGER)');
    db.close();
    expect(refusal(foreign)).toMatch(/not a SimCLR Lab store/);

    const { dir } = realStore();
    writeFileSync(join(dir, 'checkpoints', 'rnobody.ckpt'), 'x');
    expect(refusal(dir)).toMatch(/rnobody\.ckpt belong\(s\) to no run/);
  });

  it('clears checkpoint temp files a killed writer left, which are never valid checkpoints', () => {
    const { dir, runId } = realStore();
    writeFileSync(join(dir, 'checkpoints', `${runId}.ckpt.1f2e3d`), 'half');
    checkStore(dir);
    expect(readdirSync(join(dir, 'checkpoints'))).toEqual([`${runId}.ckpt`]);
  });
});

describe('the server on a damaged store', () => {
  it('exits non-zero with one line, no stack trace, for corrupt pages and for a 0-byte database', async () => {
    const corrupt = realStore().dir;
    corruptMiddle(join(corrupt, 'runs.sqlite'));
    const empty = realStore().dir;
    writeFileSync(join(empty, 'runs.sqlite'), '');
    for (const [dir, pattern] of [
      [corrupt, /damaged|cannot be read/],
      [empty, /empty \(0 bytes\)/],
    ] as const) {
      const child = spawnProcess(['src/server/main.ts', '--host', '127.0.0.1', '--port', '0', '--store', dir]);
      expect(await child.exited).toBe(2);
      const lines = child.output().trim().split('\n');
      expect(lines, child.output()).toHaveLength(1);
      expect(lines[0]).toMatch(pattern);
      expect(lines[0]).toContain(join(dir, 'runs.sqlite'));
      expect(child.output()).not.toMatch(/\n\s+at /);
    }
  });
});
