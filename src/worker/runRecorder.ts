import { type Checkpoint, type CheckpointEvent, serializeCheckpoint } from '../core';
import { type StoredRun, recordEvent } from '../browser/runs/runRecord';
import type { LabRunStore } from '../browser/runs/runsDb';
import type { LabEvent } from '../protocol/labWorkerApi';

/**
 * Turns the engine's events into what the page sees and what survives a reload: checkpoints go to
 * the store (weights never cross to the page), the run record is saved at most every
 * `saveEveryMs` and always with checkpoints, at stage ends and at the run's end.
 */
export class RunRecorder {
  private lastSave = 0;
  private saving: Promise<void> = Promise.resolve();

  constructor(
    readonly run: StoredRun,
    private readonly store: LabRunStore,
    private readonly publish: (event: LabEvent) => void,
    private readonly saveEveryMs = 2000,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The engine's onCheckpoint: stores the weights together with the record that names them, in one
   * write (a reload then never finds a checkpoint ahead of the record's curves). The engine awaits
   * this, then emits `event`, which `onEvent` folds into the live record like any other.
   */
  onCheckpoint(checkpoint: Checkpoint, event: CheckpointEvent): Promise<void> {
    this.lastSave = this.now();
    const snapshot = recordEvent(structuredClone(this.run), event);
    // Encoded here, in the worker, so the page's thread never spends time on weights.
    const encoded = serializeCheckpoint(checkpoint);
    this.saving = this.saving.then(() => this.store.putCheckpoint(snapshot, encoded));
    return this.saving;
  }

  /** Handles one event; the returned promise settles when any persistence it caused is done. */
  onEvent(event: LabEvent): Promise<void> {
    recordEvent(this.run, event);
    this.publish(event);
    // A checkpoint's record was written with its weights (onCheckpoint); the throttle covers it.
    const saveNow = ['stage-end', 'run-end', 'run-start', 'controller'].includes(event.type);
    if (saveNow || this.now() - this.lastSave >= this.saveEveryMs) this.save();
    return this.saving;
  }

  save(): Promise<void> {
    this.lastSave = this.now();
    const snapshot = structuredClone(this.run);
    this.saving = this.saving.then(() => this.store.putRun(snapshot));
    return this.saving;
  }

  flushed(): Promise<void> {
    return this.saving;
  }
}
