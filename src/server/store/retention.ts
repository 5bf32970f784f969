import type { SqliteRunStore } from './runStore';
import type { StoredEvent } from '../../protocol/serverApi';
import { isTerminal } from '../../protocol/serverApi';

/**
 * Retention (`--keep-runs N`, `--keep-days D`): the oldest finished runs are deleted (record, events,
 * checkpoint) at start-up and after each run finishes. Queued and running runs are never touched.
 */
export interface RetentionPolicy {
  /** Keep at most this many finished runs (the newest). */
  keepRuns: number | null;
  /** Delete finished runs that finished more than this many days ago. */
  keepDays: number | null;
}

const dayMs = 24 * 3600 * 1000;

/** Deletes what the policy does not keep; returns the ids deleted, oldest first. */
export function pruneRuns(store: SqliteRunStore, policy: RetentionPolicy, now = Date.now()): string[] {
  if (policy.keepRuns === null && policy.keepDays === null) return [];
  const finished = store.finishedRuns();
  const excess = policy.keepRuns === null ? 0 : Math.max(0, finished.length - policy.keepRuns);
  const cutoff = policy.keepDays === null ? -Infinity : now - policy.keepDays * dayMs;
  const doomed = finished.filter((run, index) => index < excess || run.finishedAt < cutoff);
  for (const run of doomed) store.deleteRun(run.id);
  return doomed.map((run) => run.id);
}

/** Prunes now, then again after every terminal status. Returns a function that stops watching. */
export function applyRetention(store: SqliteRunStore, policy: RetentionPolicy, log: (message: string) => void): () => void {
  if (policy.keepRuns === null && policy.keepDays === null) return () => undefined;
  const prune = () => {
    try {
      const deleted = pruneRuns(store, policy);
      if (deleted.length > 0) log(`retention: deleted ${deleted.length} finished run(s): ${deleted.join(', ')}`);
    } catch (error) {
      log(`retention: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  let scheduled = false;
  const onEvent = (_runId: string, stored: StoredEvent) => {
    if (stored.event.type !== 'status' || !isTerminal(stored.event.status) || scheduled) return;
    // After the event's other listeners (streams) have had it.
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      prune();
    });
  };
  prune();
  store.events.on('event', onEvent);
  return () => store.events.off('event', onEvent);
}
