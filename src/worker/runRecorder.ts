import type { RunEvent } from '../core';
import { type StoredRun, recordEvent } from '../browser/runs/runRecord';
import type { LabRunStore } from '../browser/runs/runsDb';
import type { LabEvent } from '../protocol/labWorkerApi';

/**
 * Turns the engine's events into what the page sees and what survives a reload: checkpoints go to
 * the store (weights never cross to the page), the run record is saved at most every
 * `saveEveryMs` and always at checkpoints, stage ends and the run's end.
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

  /** Handles one engine event; the returned promise settles when any persistence it caused is done. */
  onEvent(event: RunEvent | LabEvent): Promise<void> {
    if (event.type === 'checkpoint' && 'checkpoint' in event) {
      const { checkpoint, ...rest } = event;
      recordEvent(this.run, rest);
      this.publish(rest);
      // The record that names this checkpoint is written in the same transaction as its weights.
      this.lastSave = this.now();
      const snapshot = structuredClone(this.run);
      this.saving = this.saving.then(() => this.store.putCheckpoint(snapshot, checkpoint));
      return this.saving;
    }
    const labEvent = event as LabEvent;
    recordEvent(this.run, labEvent);
    this.publish(labEvent);
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
