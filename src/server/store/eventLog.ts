import type Database from 'better-sqlite3';
import { EventEmitter } from 'node:events';

/**
 * An append-only event table keyed by its owner (a run, a sweep) and a per-owner id, as the run
 * store and the sweep store both keep one. Listeners on `emitter` hear of an event ('event', ownerId,
 * stored) only once the transaction that wrote it committed: a listener that reads the store on an
 * event (the SSE stream) finds it there, and an event of a rolled-back transaction is never heard.
 */
export class EventLog<E> {
  readonly emitter = new EventEmitter();
  private pending: [string, { id: number; event: E }][] = [];
  private readonly insertSql: string;
  private readonly afterSql: string;

  /**
   * `table` and `ownerColumn` are names fixed in the stores' code (never input), so they are put into
   * the SQL text; the table is (ownerColumn TEXT, id INTEGER, data TEXT) with (ownerColumn, id) as key.
   */
  constructor(
    private readonly db: Database.Database,
    table: string,
    ownerColumn: string,
  ) {
    this.insertSql = `INSERT INTO ${table} (${ownerColumn}, id, data) VALUES (?, ?, ?)`;
    this.afterSql = `SELECT id, data FROM ${table} WHERE ${ownerColumn} = ? AND id > ? ORDER BY id LIMIT ?`;
    // Every open SSE stream listens; there is no leak to warn about.
    this.emitter.setMaxListeners(0);
  }

  /** Writes event `id` of `owner` inside the caller's transaction; listeners hear of it after the commit. */
  insert(owner: string, id: number, event: E): { id: number; event: E } {
    this.db.prepare(this.insertSql).run(owner, id, JSON.stringify(event));
    const stored = { id, event };
    this.pending.push([owner, stored]);
    return stored;
  }

  /** Events of `owner` with id > afterId, oldest first, each as its stored JSON text (what SSE sends as is). */
  rowsAfter(owner: string, afterId: number, limit: number): { id: number; data: string }[] {
    return this.db.prepare(this.afterSql).all(owner, afterId, limit) as { id: number; data: string }[];
  }

  /** Like rowsAfter, parsed. */
  eventsAfter(owner: string, afterId: number, limit: number): { id: number; event: E }[] {
    return this.rowsAfter(owner, afterId, limit).map((row) => ({ id: row.id, event: JSON.parse(row.data) as E }));
  }

  /** Runs `work` in one transaction; listeners hear of its events only once it committed. */
  commit(work: () => void): void {
    this.settle(() => this.db.transaction(work)());
  }

  /**
   * Runs `write`, which commits on its own (a transaction of the run store that also writes this
   * log's events), then tells listeners; when it throws, its queued events are dropped unheard.
   */
  settle<T>(write: () => T): T {
    let result: T;
    try {
      result = write();
    } catch (error) {
      this.pending = [];
      throw error;
    }
    const pending = this.pending;
    this.pending = [];
    for (const [owner, stored] of pending) this.emitter.emit('event', owner, stored);
    return result;
  }
}
