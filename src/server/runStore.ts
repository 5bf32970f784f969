import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { RunConfig } from '../core/config';
import type { RunEvent, RunSummary } from '../core/types';
import type { CheckpointPosition, RunRecord, RunStatus, ServerRunEvent, StoredEvent } from './runTypes';
import { isTerminal } from './runTypes';
import { writeFileAtomic } from './atomicFile';

/**
 * The server's durable memory: runs and their event logs in SQLite (WAL, every write committed before
 * it is acknowledged or streamed), checkpoints as files written atomically beside it. A process
 * killed with -9 loses nothing it had answered for.
 */

interface RunRow {
  id: string;
  status: RunStatus;
  config: string;
  summary: string | null;
  error: string | null;
  reason: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  updated_at: number;
  worker: string | null;
  attempts: number;
  backend: string | null;
  checkpoint: string | null;
  last_event_id: number;
}

export interface StatusChange {
  reason?: string;
  error?: string;
  worker?: string;
  summary?: RunSummary;
  backend?: string;
  /** Written in the same transaction (the BullMQ bridge's stream position). */
  meta?: Record<string, string>;
}

/** Statuses a run may move to from each status; anything else is an impossible transition (409). */
const allowedTransitions: Record<RunStatus, RunStatus[]> = {
  queued: ['running', 'cancelled', 'failed', 'interrupted'],
  // running → running: another worker took over a job whose worker died (BullMQ mode).
  running: ['running', 'succeeded', 'failed', 'cancelled', 'interrupted', 'queued'],
  succeeded: [],
  failed: [],
  cancelled: [],
  interrupted: [],
};

export class TransitionError extends Error {
  constructor(
    readonly runId: string,
    readonly from: RunStatus,
    readonly to: RunStatus,
  ) {
    super(`run ${runId} is ${from}; it cannot become ${to}`);
    this.name = 'TransitionError';
  }
}

export class RunStore {
  private readonly db: Database.Database;
  readonly checkpointDir: string;
  /** 'event' (runId, StoredEvent) after each committed event. */
  readonly events = new EventEmitter();

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.checkpointDir = join(dir, 'checkpoints');
    mkdirSync(this.checkpointDir, { recursive: true });
    this.db = new Database(join(dir, 'runs.sqlite'));
    this.db.pragma('journal_mode = WAL');
    // FULL: a commit is on disk before the HTTP answer or SSE message that depends on it goes out.
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS runs (
        id TEXT PRIMARY KEY,
        seq INTEGER NOT NULL,
        status TEXT NOT NULL,
        config TEXT NOT NULL,
        summary TEXT,
        error TEXT,
        reason TEXT,
        created_at INTEGER NOT NULL,
        started_at INTEGER,
        finished_at INTEGER,
        updated_at INTEGER NOT NULL,
        worker TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        backend TEXT,
        checkpoint TEXT,
        last_event_id INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX IF NOT EXISTS runs_status ON runs (status, seq);
      CREATE TABLE IF NOT EXISTS events (
        run_id TEXT NOT NULL,
        id INTEGER NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (run_id, id)
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    `);
    this.events.setMaxListeners(0);
  }

  close(): void {
    this.db.close();
  }

  createRun(config: RunConfig): RunRecord {
    const id = `r${Date.now().toString(36)}${randomBytes(5).toString('hex')}`;
    const now = Date.now();
    this.commit(() => {
      const seq = (this.db.prepare('SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM runs').get() as { seq: number }).seq;
      this.db
        .prepare('INSERT INTO runs (id, seq, status, config, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(id, seq, 'queued', JSON.stringify(config), now, now);
      this.insertEvent(id, { type: 'status', time: now, status: 'queued' });
    });
    return this.getRun(id)!;
  }

  getRun(id: string): RunRecord | null {
    const row = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined;
    return row ? toRecord(row) : null;
  }

  listRuns(filter: { status?: RunStatus } = {}): RunRecord[] {
    const rows = filter.status
      ? (this.db.prepare('SELECT * FROM runs WHERE status = ? ORDER BY seq').all(filter.status) as RunRow[])
      : (this.db.prepare('SELECT * FROM runs ORDER BY seq').all() as RunRow[]);
    return rows.map(toRecord);
  }

  countByStatus(): Record<string, number> {
    const rows = this.db.prepare('SELECT status, COUNT(*) AS n FROM runs GROUP BY status').all() as { status: string; n: number }[];
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }

  /**
   * Moves a run to `to` (throws TransitionError when `from` does not allow it) and logs a status event
   * in the same transaction.
   */
  setStatus(id: string, to: RunStatus, change: StatusChange = {}): RunRecord {
    const now = Date.now();
    this.commit(() => {
      const row = this.db.prepare('SELECT status FROM runs WHERE id = ?').get(id) as { status: RunStatus } | undefined;
      if (!row) throw new Error(`unknown run ${id}`);
      if (!allowedTransitions[row.status].includes(to)) throw new TransitionError(id, row.status, to);
      const sets = ['status = @to', 'updated_at = @now'];
      if (to === 'running') sets.push('started_at = COALESCE(started_at, @now)', 'attempts = attempts + 1', 'finished_at = NULL');
      if (isTerminal(to)) sets.push('finished_at = @now');
      // A reason explains the status it came with; a later status without one clears it.
      sets.push('reason = @reason');
      if (change.error !== undefined) sets.push('error = @error');
      if (change.worker !== undefined) sets.push('worker = @worker');
      if (change.backend !== undefined) sets.push('backend = @backend');
      if (change.summary !== undefined) sets.push('summary = @summary');
      this.db.prepare(`UPDATE runs SET ${sets.join(', ')} WHERE id = @id`).run({
        id,
        to,
        now,
        reason: change.reason ?? null,
        error: change.error ?? null,
        worker: change.worker ?? null,
        backend: change.backend ?? null,
        summary: change.summary ? JSON.stringify(change.summary) : null,
      });
      const event: ServerRunEvent = { type: 'status', time: now, status: to };
      if (change.reason) event.reason = change.reason;
      if (change.error) event.error = change.error;
      if (change.worker) event.worker = change.worker;
      this.insertEvent(id, event);
      for (const [key, value] of Object.entries(change.meta ?? {})) this.setMetaInTransaction(key, value);
    });
    return this.getRun(id)!;
  }

  /**
   * Appends an engine event. Checkpoint events are stored without their weights (those go to
   * `saveCheckpoint`); the run's checkpoint position is updated with them. `meta` entries are written
   * in the same transaction (the BullMQ bridge keeps its stream position there).
   */
  appendEvent(id: string, event: RunEvent | ServerRunEvent, meta?: Record<string, string>): StoredEvent {
    let stored: StoredEvent | undefined;
    this.commit(() => {
      const slim = slimEvent(event);
      stored = this.insertEvent(id, slim);
      if (slim.type === 'checkpoint') {
        const position: CheckpointPosition = { stage: slim.stage, step: slim.step, epoch: slim.epoch };
        this.db.prepare('UPDATE runs SET checkpoint = ?, updated_at = ? WHERE id = ?').run(JSON.stringify(position), Date.now(), id);
      }
      if (slim.type === 'run-start') this.db.prepare('UPDATE runs SET backend = ? WHERE id = ?').run(slim.backend, id);
      for (const [key, value] of Object.entries(meta ?? {})) this.setMetaInTransaction(key, value);
    });
    return stored!;
  }

  /** Events of a run with id > afterId, oldest first. */
  eventsAfter(id: string, afterId: number, limit = 10_000): StoredEvent[] {
    const rows = this.db
      .prepare('SELECT id, data FROM events WHERE run_id = ? AND id > ? ORDER BY id LIMIT ?')
      .all(id, afterId, limit) as { id: number; data: string }[];
    return rows.map((row) => ({ id: row.id, event: JSON.parse(row.data) as ServerRunEvent }));
  }

  getMeta(key: string): string | null {
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value ?? null;
  }

  setMeta(key: string, value: string): void {
    this.setMetaInTransaction(key, value);
  }

  checkpointPath(id: string): string {
    return join(this.checkpointDir, `${id}.ckpt`);
  }

  hasCheckpoint(id: string): boolean {
    return existsSync(this.checkpointPath(id));
  }

  /** Writes checkpoint bytes atomically (temp file, fsync, rename): a reader never sees half a file. */
  saveCheckpointBytes(id: string, bytes: Uint8Array): void {
    writeFileAtomic(this.checkpointPath(id), bytes);
  }

  readCheckpointBytes(id: string): Buffer | null {
    const path = this.checkpointPath(id);
    return existsSync(path) ? readFileSync(path) : null;
  }

  deleteCheckpoint(id: string): void {
    rmSync(this.checkpointPath(id), { force: true });
  }

  private setMetaInTransaction(key: string, value: string): void {
    this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  private pending: [string, StoredEvent][] = [];

  private insertEvent(id: string, event: ServerRunEvent): StoredEvent {
    const next = (this.db.prepare('SELECT last_event_id + 1 AS next FROM runs WHERE id = ?').get(id) as { next: number } | undefined)?.next;
    if (next === undefined) throw new Error(`unknown run ${id}`);
    this.db.prepare('INSERT INTO events (run_id, id, data) VALUES (?, ?, ?)').run(id, next, JSON.stringify(event));
    this.db.prepare('UPDATE runs SET last_event_id = ? WHERE id = ?').run(next, id);
    const stored = { id: next, event };
    // Listeners hear of an event only after its transaction committed (see flushPending).
    this.pending.push([id, stored]);
    return stored;
  }

  /** Runs `work` in one transaction; listeners hear of its events only once it committed. */
  private commit(work: () => void): void {
    try {
      this.db.transaction(work)();
    } catch (error) {
      this.pending = [];
      throw error;
    }
    this.flushPending();
  }

  private flushPending(): void {
    const pending = this.pending;
    this.pending = [];
    for (const [id, stored] of pending) this.events.emit('event', id, stored);
  }
}

function slimEvent(event: RunEvent | ServerRunEvent): ServerRunEvent {
  if (event.type !== 'checkpoint') return event;
  const { type, time, stage, step, epoch } = event;
  return { type, time, stage, step, epoch };
}

function toRecord(row: RunRow): RunRecord {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    id: row.id,
    status: row.status,
    config: JSON.parse(row.config) as RunConfig,
    summary: row.summary ? (JSON.parse(row.summary) as RunSummary) : null,
    error: row.error,
    reason: row.reason,
    createdAt: new Date(row.created_at).toISOString(),
    startedAt: iso(row.started_at),
    finishedAt: iso(row.finished_at),
    updatedAt: new Date(row.updated_at).toISOString(),
    worker: row.worker,
    attempts: row.attempts,
    backend: row.backend,
    checkpoint: row.checkpoint ? (JSON.parse(row.checkpoint) as CheckpointPosition) : null,
    eventCount: row.last_event_id,
  };
}
