import { type DBSchema, type IDBPDatabase, openDB } from 'idb';
import type { Checkpoint } from '../../core';
import type { StoredRun } from './runRecord';

/** Where runs and their latest checkpoints live; IndexedDB in the browser, a Map in tests. */
export interface LabRunStore {
  listRuns(): Promise<StoredRun[]>;
  getRun(id: string): Promise<StoredRun | undefined>;
  putRun(run: StoredRun): Promise<void>;
  deleteRun(id: string): Promise<void>;
  getCheckpoint(id: string): Promise<Checkpoint | undefined>;
  /**
   * Writes a checkpoint and the run record that describes it in one transaction: a reload can then
   * never find a checkpoint ahead of the record's curves (which a resume would leave with a gap).
   */
  putCheckpoint(run: StoredRun, checkpoint: Checkpoint): Promise<void>;
}

interface LabDb extends DBSchema {
  runs: { key: string; value: StoredRun };
  checkpoints: { key: string; value: Checkpoint };
}

const dbName = 'simclr-lab';

let opened: Promise<IDBPDatabase<LabDb>> | null = null;

function database(): Promise<IDBPDatabase<LabDb>> {
  opened ??= openDB<LabDb>(dbName, 1, {
    upgrade(db) {
      db.createObjectStore('runs', { keyPath: 'id' });
      db.createObjectStore('checkpoints');
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
  async getCheckpoint(id) {
    return (await database()).get('checkpoints', id);
  },
  async putCheckpoint(run, checkpoint) {
    const db = await database();
    const tx = db.transaction(['runs', 'checkpoints'], 'readwrite');
    await Promise.all([tx.objectStore('checkpoints').put(checkpoint, run.id), tx.objectStore('runs').put(run), tx.done]);
  },
};

export function memoryRunStore(): LabRunStore {
  const runs = new Map<string, StoredRun>();
  const checkpoints = new Map<string, Checkpoint>();
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
    async getCheckpoint(id) {
      return checkpoints.get(id);
    },
    async putCheckpoint(run, checkpoint) {
      checkpoints.set(run.id, checkpoint);
      runs.set(run.id, structuredClone(run));
    },
  };
}
