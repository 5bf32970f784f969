import { type DBSchema, type IDBPDatabase, openDB } from 'idb';
import { type Checkpoint, deserializeCheckpoint, serializeCheckpoint } from '../../core';
import type { StoredRun } from './runRecord';

/**
 * Where runs and their latest checkpoints live; IndexedDB in the browser, a Map in tests.
 * Checkpoints are kept encoded (core/checkpoint.ts), the bytes the CLI and the server write: an
 * export or a weights download is then these bytes (no second format), and IndexedDB clones one
 * buffer instead of an object of hundreds of typed arrays. `readCheckpoint` decodes.
 */
export interface LabRunStore {
  listRuns(): Promise<StoredRun[]>;
  getRun(id: string): Promise<StoredRun | undefined>;
  putRun(run: StoredRun): Promise<void>;
  deleteRun(id: string): Promise<void>;
  /** The run's latest checkpoint, encoded. */
  getCheckpointBytes(id: string): Promise<Uint8Array | undefined>;
  /**
   * Writes an encoded checkpoint and the run record that describes it in one transaction: a reload
   * can then never find a checkpoint ahead of the record's curves (which a resume would leave with
   * a gap).
   */
  putCheckpoint(run: StoredRun, encoded: Uint8Array): Promise<void>;
}

/** The run's latest checkpoint, decoded (undefined: the run has none). */
export async function readCheckpoint(store: LabRunStore, id: string): Promise<Checkpoint | undefined> {
  const bytes = await store.getCheckpointBytes(id);
  return bytes && deserializeCheckpoint(bytes);
}

/** Checkpoints stored before they were kept encoded are Checkpoint objects; they still read. */
export type StoredCheckpoint = Uint8Array | Checkpoint;

export function encodedCheckpoint(stored: StoredCheckpoint | undefined): Uint8Array | undefined {
  return stored === undefined || stored instanceof Uint8Array ? stored : serializeCheckpoint(stored);
}

/**
 * A sweep of the lab's Sweeps tab as kept in IndexedDB. Only what the store needs is typed here:
 * the spec and trials are sweep/ types, which browser/ may not import, so the app's sweep layer
 * (app/sweeps/sweepRecord.ts) owns the full shape and extends this one.
 */
export interface StoredSweepBase {
  id: string;
  createdAt: number;
  updatedAt: number;
  /** `running` after a reload means the page went away mid-sweep: the tab continues it. */
  status: 'running' | 'completed' | 'interrupted' | 'stopped';
}

/** Where the Sweeps tab keeps its sweeps. */
export interface SweepStore<T extends StoredSweepBase> {
  listSweeps(): Promise<T[]>;
  getSweep(id: string): Promise<T | undefined>;
  putSweep(sweep: T): Promise<void>;
  deleteSweep(id: string): Promise<void>;
}

interface LabDb extends DBSchema {
  runs: { key: string; value: StoredRun };
  checkpoints: { key: string; value: StoredCheckpoint };
  sweeps: { key: string; value: StoredSweepBase };
}

const dbName = 'simclr-lab';

let opened: Promise<IDBPDatabase<LabDb>> | null = null;

function database(): Promise<IDBPDatabase<LabDb>> {
  // Version 2 adds the sweeps store; upgrading from 1 creates only that, so stored runs stay.
  opened ??= openDB<LabDb>(dbName, 2, {
    upgrade(db, oldVersion) {
      if (oldVersion < 1) {
        db.createObjectStore('runs', { keyPath: 'id' });
        db.createObjectStore('checkpoints');
      }
      if (oldVersion < 2) db.createObjectStore('sweeps', { keyPath: 'id' });
    },
    // Another tab (or the worker of an older build) upgrading: let go so its upgrade can proceed.
    blocking(_current, _blocked, event) {
      (event.target as IDBDatabase).close();
      opened = null;
    },
  });
  return opened;
}

/** The browser's store (works in the page and in the worker: both share the origin's IndexedDB). */
export const indexedDbRunStore: LabRunStore = {
  async listRuns() {
    const runs = await (await database()).getAll('runs');
    return runs.sort((a, b) => b.createdAt - a.createdAt);
  },
  async getRun(id) {
    return (await database()).get('runs', id);
  },
  async putRun(run) {
    await (await database()).put('runs', run);
  },
  async deleteRun(id) {
    const db = await database();
    const tx = db.transaction(['runs', 'checkpoints'], 'readwrite');
    await Promise.all([tx.objectStore('runs').delete(id), tx.objectStore('checkpoints').delete(id), tx.done]);
  },
  async getCheckpointBytes(id) {
    return encodedCheckpoint(await (await database()).get('checkpoints', id));
  },
  async putCheckpoint(run, encoded) {
    const db = await database();
    const tx = db.transaction(['runs', 'checkpoints'], 'readwrite');
    await Promise.all([tx.objectStore('checkpoints').put(encoded, run.id), tx.objectStore('runs').put(run), tx.done]);
  },
};

/**
 * The browser's sweep store. `T` is the app's full sweep record; IndexedDB hands back what was put,
 * so reading it as `T` is safe as long as only this store writes the 'sweeps' object store.
 */
export function indexedDbSweepStore<T extends StoredSweepBase>(): SweepStore<T> {
  return {
    async listSweeps() {
      const sweeps = (await (await database()).getAll('sweeps')) as T[];
      return sweeps.sort((a, b) => b.createdAt - a.createdAt);
    },
    async getSweep(id) {
      return (await (await database()).get('sweeps', id)) as T | undefined;
    },
    async putSweep(sweep) {
      await (await database()).put('sweeps', sweep);
    },
    async deleteSweep(id) {
      await (await database()).delete('sweeps', id);
    },
  };
}

export function memorySweepStore<T extends StoredSweepBase>(): SweepStore<T> {
  const sweeps = new Map<string, T>();
  return {
    async listSweeps() {
      return [...sweeps.values()].map((s) => structuredClone(s)).sort((a, b) => b.createdAt - a.createdAt);
    },
    async getSweep(id) {
      const sweep = sweeps.get(id);
      return sweep && structuredClone(sweep);
    },
    async putSweep(sweep) {
      sweeps.set(sweep.id, structuredClone(sweep));
    },
    async deleteSweep(id) {
      sweeps.delete(id);
    },
  };
}

export function memoryRunStore(): LabRunStore {
  const runs = new Map<string, StoredRun>();
  const checkpoints = new Map<string, Uint8Array>();
  return {
    async listRuns() {
      return [...runs.values()].map((r) => structuredClone(r)).sort((a, b) => b.createdAt - a.createdAt);
    },
    async getRun(id) {
      const run = runs.get(id);
      return run && structuredClone(run);
    },
    async putRun(run) {
      runs.set(run.id, structuredClone(run));
    },
    async deleteRun(id) {
      runs.delete(id);
      checkpoints.delete(id);
    },
    async getCheckpointBytes(id) {
      return checkpoints.get(id);
    },
    async putCheckpoint(run, encoded) {
      checkpoints.set(run.id, encoded);
      runs.set(run.id, structuredClone(run));
    },
  };
}
