import type Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import type { RunConfig } from '../../core/config';
import type { TrialRecord } from '../../sweep/runner';
import type { ParamValue, SweepSpec } from '../../sweep/spec';
import type { RunRecord, StoredSweepEvent, SweepEvent, SweepStatus } from '../../protocol/serverApi';
import { EventLog } from './eventLog';
import type { SqliteRunStore } from './runStore';

/**
 * Sweeps in the run store's SQLite database, beside the runs their trials are: the sweep (spec,
 * status), one row per proposed trial (the run carrying it; its record once finished) and the
 * sweep's event log. Same durability as runs (WAL, synchronous FULL, listeners hear of an event only
 * after its commit). The tables are created on open when missing, so a store written before sweeps
 * existed opens unchanged; older servers ignore the extra tables.
 */

interface SweepRow {
  id: string;
  seq: number;
  name: string;
  spec: string;
  status: SweepStatus;
  reason: string | null;
  reuse: string;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
  last_event_id: number;
}

interface TrialRow {
  sweep_id: string;
  idx: number;
  trial_id: string;
  run_id: string | null;
  params: string;
  record: string | null;
  reused: number;
}

export interface StoredSweep {
  id: string;
  name: string;
  spec: SweepSpec;
  status: SweepStatus;
  reason: string | null;
  reuse: string;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
  eventCount: number;
}

export interface StoredTrial {
  index: number;
  id: string;
  /** The run now carrying the trial (a re-queued trial gets a new one). */
  runId: string | null;
  params: Record<string, ParamValue>;
  /** Set once the trial finished. */
  record: TrialRecord | null;
  /** Its run started from a shared pretraining. */
  reused: boolean;
}

export class SweepStore {
  private readonly db: Database.Database;
  private readonly log: EventLog<SweepEvent>;
  /** 'event' (sweepId, StoredSweepEvent) after each committed event. */
  readonly events: EventEmitter;

  constructor(readonly runs: SqliteRunStore) {
    this.db = runs.sqlite;
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS sweeps (
        id TEXT PRIMARY KEY,
        seq INTEGER NOT NULL,
        name TEXT NOT NULL,
        spec TEXT NOT NULL,
        status TEXT NOT NULL,
        reason TEXT,
        reuse TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        finished_at INTEGER,
        last_event_id INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX IF NOT EXISTS sweeps_status ON sweeps (status, seq);
      CREATE TABLE IF NOT EXISTS sweep_trials (
        sweep_id TEXT NOT NULL,
        idx INTEGER NOT NULL,
        trial_id TEXT NOT NULL,
        run_id TEXT,
        params TEXT NOT NULL,
        record TEXT,
        reused INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (sweep_id, idx)
      ) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS sweep_trials_run ON sweep_trials (run_id);
      CREATE TABLE IF NOT EXISTS sweep_events (
        sweep_id TEXT NOT NULL,
        id INTEGER NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (sweep_id, id)
      ) WITHOUT ROWID;
    `);
    this.log = new EventLog(this.db, 'sweep_events', 'sweep_id');
    this.events = this.log.emitter;
  }

  createSweep(spec: SweepSpec, reuse: string): StoredSweep {
    const id = `s${Date.now().toString(36)}${randomBytes(5).toString('hex')}`;
    const now = Date.now();
    this.commit(() => {
      const seq = (this.db.prepare('SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM sweeps').get() as { seq: number }).seq;
      this.db
        .prepare('INSERT INTO sweeps (id, seq, name, spec, status, reuse, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(id, seq, spec.name, JSON.stringify(spec), 'running', reuse, now, now);
      this.insertEvent(id, { type: 'sweep-status', time: now, status: 'running' });
    });
    return this.getSweep(id)!;
  }

  getSweep(id: string): StoredSweep | null {
    const row = this.db.prepare('SELECT * FROM sweeps WHERE id = ?').get(id) as SweepRow | undefined;
    return row ? toSweep(row) : null;
  }

  /** Every sweep, oldest first (`status`: only those). */
  listSweeps(status?: SweepStatus): StoredSweep[] {
    const rows = status
      ? (this.db.prepare('SELECT * FROM sweeps WHERE status = ? ORDER BY seq').all(status) as SweepRow[])
      : (this.db.prepare('SELECT * FROM sweeps ORDER BY seq').all() as SweepRow[]);
    return rows.map(toSweep);
  }

  /** Moves a sweep to `status` (logged as an event in the same transaction). */
  setStatus(id: string, status: SweepStatus, reason?: string): StoredSweep {
    const now = Date.now();
    this.commit(() => {
      this.db
        .prepare('UPDATE sweeps SET status = ?, reason = ?, updated_at = ?, finished_at = ? WHERE id = ?')
        .run(status, reason ?? null, now, status === 'running' ? null : now, id);
      this.insertEvent(id, { type: 'sweep-status', time: now, status, ...(reason ? { reason } : {}) });
    });
    return this.getSweep(id)!;
  }

  setReuse(id: string, reuse: string): void {
    this.db.prepare('UPDATE sweeps SET reuse = ?, updated_at = ? WHERE id = ?').run(reuse, Date.now(), id);
  }

  trials(sweepId: string): StoredTrial[] {
    const rows = this.db.prepare('SELECT * FROM sweep_trials WHERE sweep_id = ? ORDER BY idx').all(sweepId) as TrialRow[];
    return rows.map(toTrial);
  }

  trial(sweepId: string, index: number): StoredTrial | null {
    const row = this.db.prepare('SELECT * FROM sweep_trials WHERE sweep_id = ? AND idx = ?').get(sweepId, index) as TrialRow | undefined;
    return row ? toTrial(row) : null;
  }

  /**
   * Creates the run that carries a trial and records it as the trial's run, in one transaction (the
   * trial row is replaced: a re-queued trial gets a new run). `event` is logged with the run's id.
   */
  createTrialRun(
    sweepId: string,
    trial: { index: number; id: string; params: Record<string, ParamValue> },
    config: RunConfig,
    reused: boolean,
    event: (runId: string) => SweepEvent,
  ): RunRecord {
    // The run store's transaction writes the trial row and the sweep event too; this log tells its
    // listeners once that transaction committed.
    return this.log.settle(() =>
      this.runs.createRun(config, (runId) => {
        this.db
          .prepare(
            `INSERT INTO sweep_trials (sweep_id, idx, trial_id, run_id, params, record, reused) VALUES (?, ?, ?, ?, ?, NULL, ?)
             ON CONFLICT(sweep_id, idx) DO UPDATE SET run_id = excluded.run_id, params = excluded.params, record = NULL, reused = excluded.reused`,
          )
          .run(sweepId, trial.index, trial.id, runId, JSON.stringify(trial.params), reused ? 1 : 0);
        this.insertEvent(sweepId, event(runId));
      }),
    );
  }

  /** Records a finished trial (finished trials without a run: invalid configs, shared stops). */
  finishTrial(sweepId: string, record: TrialRecord, event: SweepEvent): void {
    this.commit(() => {
      this.db
        .prepare(
          `INSERT INTO sweep_trials (sweep_id, idx, trial_id, run_id, params, record, reused) VALUES (?, ?, ?, NULL, ?, ?, 0)
           ON CONFLICT(sweep_id, idx) DO UPDATE SET record = excluded.record`,
        )
        .run(sweepId, record.index, record.id, JSON.stringify(record.params), JSON.stringify(record));
      this.insertEvent(sweepId, event);
    });
  }

  appendEvent(sweepId: string, event: SweepEvent): StoredSweepEvent {
    let stored: StoredSweepEvent | undefined;
    this.commit(() => {
      stored = this.insertEvent(sweepId, event);
    });
    return stored!;
  }

  eventRowsAfter(sweepId: string, afterId: number, limit: number): { id: number; data: string }[] {
    return this.log.rowsAfter(sweepId, afterId, limit);
  }

  eventsAfter(sweepId: string, afterId: number, limit = 10_000): StoredSweepEvent[] {
    return this.log.eventsAfter(sweepId, afterId, limit);
  }

  /**
   * Shared pretrainings of a sweep live beside the store's checkpoints, not among them: they belong
   * to no run (the store check refuses checkpoint files without one).
   */
  private sharedDir(sweepId: string): string {
    return join(this.runs.dir, 'sweeps', sweepId);
  }

  sharedPretrainingPath(sweepId: string, key: string): string {
    return join(this.sharedDir(sweepId), `${key}.ckpt`);
  }

  readSharedPretraining(sweepId: string, key: string): Buffer | null {
    const path = this.sharedPretrainingPath(sweepId, key);
    return existsSync(path) ? readFileSync(path) : null;
  }

  /** Written atomically: a trial started after a crash never reads half a file. */
  saveSharedPretraining(sweepId: string, key: string, bytes: Uint8Array): void {
    mkdirSync(this.sharedDir(sweepId), { recursive: true });
    writeFileAtomic.sync(this.sharedPretrainingPath(sweepId, key), Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }

  /** A finished sweep's shared pretrainings are no longer needed (its trial runs keep their own checkpoints). */
  removeSharedPretrainings(sweepId: string): void {
    rmSync(this.sharedDir(sweepId), { recursive: true, force: true });
  }

  private insertEvent(sweepId: string, event: SweepEvent): StoredSweepEvent {
    const row = this.db.prepare('SELECT last_event_id + 1 AS next FROM sweeps WHERE id = ?').get(sweepId) as { next: number } | undefined;
    if (row === undefined) throw new Error(`unknown sweep ${sweepId}`);
    const stored = this.log.insert(sweepId, row.next, event);
    this.db.prepare('UPDATE sweeps SET last_event_id = ?, updated_at = ? WHERE id = ?').run(row.next, Date.now(), sweepId);
    return stored;
  }

  /** Runs `work` in one transaction; listeners hear of its events only once it committed. */
  private commit(work: () => void): void {
    this.log.commit(work);
  }
}

function toSweep(row: SweepRow): StoredSweep {
  return {
    id: row.id,
    name: row.name,
    spec: JSON.parse(row.spec) as SweepSpec,
    status: row.status,
    reason: row.reason,
    reuse: row.reuse,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
    eventCount: row.last_event_id,
  };
}

function toTrial(row: TrialRow): StoredTrial {
  return {
    index: row.idx,
    id: row.trial_id,
    runId: row.run_id,
    params: JSON.parse(row.params) as Record<string, ParamValue>,
    record: row.record ? (JSON.parse(row.record) as TrialRecord) : null,
    reused: row.reused === 1,
  };
}
