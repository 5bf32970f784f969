import type { StoredSweepBase } from '../../browser/runs/runsDb';
import type { BestTrial, TrialRecord } from '../../sweep/runner';
import type { SharedSweep } from '../../sweep/shareLink';
import type { SweepSpec } from '../../sweep/spec';

/**
 * A sweep of the Sweeps tab as stored in IndexedDB: the validated spec, the finished trials exactly
 * as the runner recorded them (so a reload hands them back as `previous` and only the missing
 * trials run), and which stored run each trial trained as (for "Open run").
 */
export interface StoredSweep extends StoredSweepBase {
  name: string;
  spec: SweepSpec;
  trials: TrialRecord[];
  /** Trial id → the lab run (Runs tab) it trained as; the latest attempt wins. */
  runIds: Record<string, string>;
  /** Trial id → the earlier trial whose pretraining it reused (it started at fine-tuning from that trial's run). */
  reusedFrom?: Record<string, string>;
  best: BestTrial | null;
}

export function newSweepId(now = Date.now(), random = Math.random): string {
  return `sweep-${now.toString(36)}-${Math.floor(random() * 36 ** 4)
    .toString(36)
    .padStart(4, '0')}`;
}

export function createStoredSweep(spec: SweepSpec, now = Date.now(), id = newSweepId(now)): StoredSweep {
  return { id, name: spec.name, createdAt: now, updatedAt: now, status: 'running', spec, trials: [], runIds: {}, best: null };
}

/** What a `#sweep=` link carries of a stored sweep. */
export function sharedOf(sweep: Pick<StoredSweep, 'spec' | 'trials'>): SharedSweep {
  return { spec: sweep.spec, trials: sweep.trials };
}
