import type { QueueState, RunRecord } from '../../protocol/serverApi';

/**
 * Where runs wait and who runs them: the in-process queue (default) or BullMQ on Redis. The HTTP
 * layer stores a run as `queued` first, then hands it here; the queue moves it through its statuses
 * in the store.
 */
export interface RunQueue {
  readonly mode: QueueState['mode'];
  /** Recovers runs left by a previous process, then starts taking work. */
  start(): Promise<void>;
  /**
   * A run just stored as queued. A run stored with a checkpoint already (a sweep trial that starts
   * from a shared pretraining) starts from that checkpoint.
   */
  submit(run: RunRecord): Promise<void>;
  /**
   * Cancels a queued run at once, or asks a running one to stop (it becomes `cancelled` when its
   * engine has stopped). Returns the run as it is now. The caller has checked it is not terminal.
   * `reason` (in words) is recorded with the cancelled status where the queue records it itself.
   */
  cancel(run: RunRecord, reason?: string): Promise<RunRecord>;
  state(): Promise<QueueState>;
  /** Backend the runs get ('probing…' until known); with workers, the workers' backends. */
  backend(): { backend: string; device: string; notices: string[] };
  close(): Promise<void>;
}
