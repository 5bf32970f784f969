import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import type { RunConfig } from '../../core/config';
import type { RunSummary } from '../../core/types';
import type { CheckpointPosition, RunListItem, RunRecord, ServerRunStatus, ServerRunEvent, StoredEvent } from '../../protocol/serverApi';
import { isTerminal, terminalStatuses } from '../../protocol/serverApi';
import { runListItemOf } from '../../protocol/serverApi';
import { EventLog } from './eventLog';

/**
 * The server's durable memory: runs and their event logs in SQLite (WAL, every write committed before
 * it is acknowledged or streamed), checkpoints as files written atomically beside it. A process
 * killed with -9 loses nothing it had answered for.
 */

interface RunRow {
  id: string;
  status: ServerRunStatus;
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
const allowedTransitions: Record<ServerRunStatus, ServerRunStatus[]> = {
  queued: ['running', 'cancelled', 'failed', 'interrupted'],
  // running → running: another worker took over a job whose worker died (BullMQ mode).
  running: ['running', 'succeeded', 'failed', 'cancelled', 'interrupted', 'queued'],
  succeeded: [],
  failed: [],
  cancelled: [],
  interrupted: [],
};

/** Where a page of the run list ended (the cursor's content). */
export interface RunListPosition {
  createdAt: number;
  id: string;
}

export class TransitionError extends Error {
  constructor(
    readonly runId: string,
    readonly from: ServerRunStatus,
    readonly to: ServerRunStatus | 'deleted',
  ) {
    super(`run ${runId} is ${from}; it cannot become ${to}`);
    this.name = 'TransitionError';
  }
}

export class SqliteRunStore {
  private readonly db: Database.Database;
  readonly checkpointDir: string;
  private readonly log: EventLog<ServerRunEvent>;
  /** 'event' (runId, StoredEvent) after each committed event; 'deleted' (runId) after a run is removed. */
  readonly events: EventEmitter;

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
      CREATE INDEX IF NOT EXISTS runs_created ON runs (created_at, id);
      CREATE INDEX IF NOT EXISTS runs_status_created ON runs (status, created_at, id);
      CREATE TABLE IF NOT EXISTS events (
        run_id TEXT NOT NULL,
        id INTEGER NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (run_id, id)
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    `);
    this.log = new EventLog(this.db, 'events', 'run_id');
    this.events = this.log.emitter;
  }

  close(): void {
    this.db.close();
  }

  /** The database, for the tables that live beside the runs (sweepStore.ts) and share its transactions. */
  get sqlite(): Database.Database {
    return this.db;
  }

  /**
   * Stores a new queued run. `within` runs inside the same transaction (a sweep records which trial
   * the run carries), so a crash leaves both or neither.
   */
  createRun(config: RunConfig, within?: (id: string) => void): RunRecord {
    const id = `r${Date.now().toString(36)}${randomBytes(5).toString('hex')}`;
    const now = Date.now();
    this.commit(() => {
      const seq = (this.db.prepare('SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM runs').get() as { seq: number }).seq;
      this.db
        .prepare('INSERT INTO runs (id, seq, status, config, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(id, seq, 'queued', JSON.stringify(config), now, now);
      this.insertEvent(id, { type: 'status', time: now, status: 'queued' });
      within?.(id);
    });
    return this.getRun(id)!;
  }

  getRun(id: string): RunRecord | null {
    const row = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined;
    return row ? toRecord(row) : null;
  }

  listRuns(filter: { status?: ServerRunStatus } = {}): RunRecord[] {
    const rows = filter.status
      ? (this.db.prepare('SELECT * FROM runs WHERE status = ? ORDER BY seq').all(filter.status) as RunRow[])
      : (this.db.prepare('SELECT * FROM runs ORDER BY seq').all() as RunRow[]);
    return rows.map(toRecord);
  }

  /**
   * One page of the run list, oldest first by (creation time, id): a stable order, so a cursor
   * (the last item's position) resumes exactly after it even while runs are added or deleted.
   */
  listRunPage(options: { status?: ServerRunStatus; limit: number; after?: RunListPosition }): {
    runs: RunListItem[];
    next: RunListPosition | null;
  } {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (options.status) {
      where.push('status = ?');
      params.push(options.status);
    }
    if (options.after) {
      where.push('(created_at > ? OR (created_at = ? AND id > ?))');
      params.push(options.after.createdAt, options.after.createdAt, options.after.id);
    }
    const sql = `SELECT * FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at, id LIMIT ?`;
    // One row more than asked says whether another page exists.
    const rows = this.db.prepare(sql).all(...params, options.limit + 1) as RunRow[];
    const page = rows.slice(0, options.limit);
    const last = page[page.length - 1];
    return {
      runs: page.map((row) => runListItemOf(toRecord(row))),
      next: rows.length > options.limit ? { createdAt: last.created_at, id: last.id } : null,
    };
  }

  /** Finished runs (terminal statuses), oldest first: the candidates for retention. */
  finishedRuns(): { id: string; finishedAt: number }[] {
    const statuses = [...terminalStatuses];
    return this.db
      .prepare(
        `SELECT id, COALESCE(finished_at, updated_at) AS finishedAt FROM runs WHERE status IN (${statuses.map(() => '?').join(', ')}) ORDER BY created_at, id`,
      )
      .all(...statuses) as { id: string; finishedAt: number }[];
  }

  /**
   * Removes a finished run: its checkpoint files first, then its row and events in one transaction
   * (a crash in between leaves a run without a checkpoint, never a checkpoint without a run).
   * Throws when the run is not finished; returns false when there is no such run.
   */
  deleteRun(id: string): boolean {
    const row = this.db.prepare('SELECT status FROM runs WHERE id = ?').get(id) as { status: ServerRunStatus } | undefined;
    if (!row) return false;
    if (!isTerminal(row.status)) throw new TransitionError(id, row.status, 'deleted');
    this.deleteCheckpoint(id);
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM events WHERE run_id = ?').run(id);
      this.db.prepare('DELETE FROM runs WHERE id = ?').run(id);
    })();
    this.events.emit('deleted', id);
    return true;
  }

  countByStatus(): Record<string, number> {
    const rows = this.db.prepare('SELECT status, COUNT(*) AS n FROM runs GROUP BY status').all() as { status: string; n: number }[];
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }

  /**
   * Moves a run to `to` (throws TransitionError when `from` does not allow it) and logs a status event
   * in the same transaction.
   */
  setStatus(id: string, to: ServerRunStatus, change: StatusChange = {}): RunRecord {
    const now = Date.now();
    this.commit(() => {
      const row = this.db.prepare('SELECT status FROM runs WHERE id = ?').get(id) as { status: ServerRunStatus } | undefined;
      if (!row) throw new Error(`unknown run ${id}`);
      if (!allowedTransitions[row.status].includes(to)) throw new TransitionError(id, row.status, to);
      const sets = ['status = @to', 'updated_at = @now'];
      if (to === 'running') sets.push('started_at = COALESCE(started_at, @now)', 'attempts = attempts + 1', 'finished_at = NULL');
      const resumesFrom = to === 'running' ? this.resumePosition(id) : null;
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
      // Events of the earlier attempt after this checkpoint are superseded: the stream says so, so
      // that a client folding it (the lab's charts) shows each step once.
      if (resumesFrom) this.insertEvent(id, { type: 'resumed', time: now, ...resumesFrom });
      for (const [key, value] of Object.entries(change.meta ?? {})) this.setMetaInTransaction(key, value);
    });
    return this.getRun(id)!;
  }

  /**
   * Appends an engine event (weight-free: the weights went to `saveCheckpoint` before a checkpoint
   * event is sent); a checkpoint event updates the run's checkpoint position. `meta` entries are
   * written in the same transaction (the BullMQ bridge keeps its stream position there).
   */
  appendEvent(id: string, event: ServerRunEvent, meta?: Record<string, string>): StoredEvent {
    let stored: StoredEvent | undefined;
    this.commit(() => {
      stored = this.insertEvent(id, event);
      if (event.type === 'checkpoint') {
        const position: CheckpointPosition = { stage: event.stage, step: event.step, epoch: event.epoch };
        this.db.prepare('UPDATE runs SET checkpoint = ?, updated_at = ? WHERE id = ?').run(JSON.stringify(position), Date.now(), id);
      }
      if (event.type === 'run-start') this.db.prepare('UPDATE runs SET backend = ? WHERE id = ?').run(event.backend, id);
      for (const [key, value] of Object.entries(meta ?? {})) this.setMetaInTransaction(key, value);
    });
    return stored!;
  }

  /** Events of a run with id > afterId, oldest first. */
  eventsAfter(id: string, afterId: number, limit = 10_000): StoredEvent[] {
    return this.log.eventsAfter(id, afterId, limit);
  }

  /** Like eventsAfter, with each event as its stored JSON text (what the SSE stream sends as is). */
  eventRowsAfter(id: string, afterId: number, limit: number): { id: number; data: string }[] {
    return this.log.rowsAfter(id, afterId, limit);
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
    writeFileAtomic.sync(this.checkpointPath(id), Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }

  readCheckpointBytes(id: string): Buffer | null {
    const path = this.checkpointPath(id);
    return existsSync(path) ? readFileSync(path) : null;
  }

  /** Removes a run's checkpoint and any temp file a writer killed mid-write left beside it. */
  deleteCheckpoint(id: string): void {
    const name = `${id}.ckpt`;
    for (const file of readdirSync(this.checkpointDir)) {
      if (file === name || file.startsWith(`${name}.`)) rmSync(join(this.checkpointDir, file), { force: true });
    }
  }

  /**
   * Where a run that is about to start again continues from: its checkpoint position, when it ran
   * before and a checkpoint was kept (a first start, or a start without a checkpoint, is fresh).
   */
  private resumePosition(id: string): CheckpointPosition | null {
    // Read before the status update: `attempts` counts the starts so far.
    const row = this.db.prepare('SELECT attempts, checkpoint FROM runs WHERE id = ?').get(id) as {
      attempts: number;
      checkpoint: string | null;
    };
    if (row.attempts < 1 || row.checkpoint === null) return null;
    const { stage, step, epoch } = JSON.parse(row.checkpoint) as CheckpointPosition;
    return { stage, step, epoch };
  }

  private setMetaInTransaction(key: string, value: string): void {
    this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  private insertEvent(id: string, event: ServerRunEvent): StoredEvent {
    const row = this.db.prepare('SELECT last_event_id + 1 AS next, attempts FROM runs WHERE id = ?').get(id) as
      | { next: number; attempts: number }
      | undefined;
    if (row === undefined) throw new Error(`unknown run ${id}`);
    const { next } = row;
    // Which start of the run produced it (0: before the first start), so a consumer can tell the
    // events of an attempt that a resume superseded.
    const stored = this.log.insert(id, next, { ...event, attempt: row.attempts });
    this.db.prepare('UPDATE runs SET last_event_id = ? WHERE id = ?').run(next, id);
    return stored;
  }

  /** Runs `work` in one transaction; listeners hear of its events only once it committed. */
  private commit(work: () => void): void {
    this.log.commit(work);
  }
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
