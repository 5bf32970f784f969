import { deserializeCheckpoint, serializeCheckpoint } from '../../core/checkpoint';
import type { Checkpoint } from '../../core/types';
import { checkpointAfterPretraining } from '../../sweep/reuse';
import {
  bestTrial,
  runSweep,
  type SweepEvent as RunnerEvent,
  type TrialMetric,
  type TrialOutcome,
  type TrialRecord,
  type TrialRequest,
} from '../../sweep/runner';
import type { SweepSpec } from '../../sweep/spec';
import type {
  RunRecord,
  StoredEvent,
  SweepBest,
  SweepCounts,
  SweepListItem,
  SweepRecord,
  SweepSpecJson,
  SweepTrial,
} from '../../protocol/serverApi';
import { isTerminal } from '../../protocol/serverApi';
import type { RunQueue } from '../queue/runQueue';
import type { SqliteRunStore } from '../store/runStore';
import type { StoredSweep, StoredTrial, SweepStore } from '../store/sweepStore';

/**
 * The server host of sweeps. It drives the platform-free sweep runner (src/sweep/runner.ts, the same
 * one the CLI drives) with a `runTrial` that turns each trial into a run of the run queue — so with
 * REDIS_URL trials spread over every worker — and follows that run through the store's event
 * notifications, which both queues feed (the local runner's events and the BullMQ bridge's alike):
 * metrics go to the runner's early-stopping rule as they arrive, a stopped trial's run is cancelled
 * with the rule's reason, the run's terminal status ends the trial.
 *
 * Everything a sweep needs to continue lives in the store: on start, sweeps left running resume
 * with their finished trials kept; an unfinished trial whose run is still there (queued, running or
 * already resumed by the queue) is followed again, its stored metrics replayed into the rule; one
 * whose run was lost is queued again as a new run.
 *
 * Pretraining reuse: when a trial that pretrains finishes its pretraining, its final pretraining
 * checkpoint becomes the sweep's shared pretraining for that reuse key (a file beside the store);
 * a later trial with the same key is stored with that checkpoint as its own, so the queue starts it
 * at fine-tuning (both queues start a run from the checkpoint it is stored with).
 */

type Mode = 'running' | 'cancelling' | 'closing';

interface Driven {
  controller: AbortController;
  mode: Mode;
  done: Promise<void>;
}

const sweepCancelledReason = 'the sweep was cancelled';

export class SweepHost {
  private readonly driven = new Map<string, Driven>();
  private closed = false;

  constructor(
    readonly sweeps: SweepStore,
    private readonly queue: RunQueue,
    private readonly log: (line: string) => void = (line) => console.log(line),
  ) {}

  private get runs(): SqliteRunStore {
    return this.sweeps.runs;
  }

  /** Resumes the sweeps a previous process left running. Call after the queue started (it recovered their runs). */
  start(): void {
    for (const sweep of this.sweeps.listSweeps('running')) {
      this.log(`sweep ${sweep.id} (${sweep.name}): resuming`);
      this.drive(sweep.id);
    }
  }

  create(spec: SweepSpec): StoredSweep {
    const sweep = this.sweeps.createSweep(spec, 'on');
    this.drive(sweep.id);
    return sweep;
  }

  /** Cancels a running sweep: its status first (so a crash now does not resume it), then its trials' runs. */
  async cancel(id: string): Promise<StoredSweep | null> {
    const sweep = this.sweeps.getSweep(id);
    if (sweep?.status !== 'running') return sweep;
    this.sweeps.setStatus(id, 'cancelled', 'cancelled by request');
    this.sweeps.removeSharedPretrainings(id);
    const driven = this.driven.get(id);
    if (driven) {
      // The runner aborts every running trial; each trial cancels its run (see follow()).
      driven.mode = 'cancelling';
      driven.controller.abort(new Error(sweepCancelledReason));
    } else {
      for (const trial of this.sweeps.trials(id)) {
        const run = trial.runId && !trial.record ? this.runs.getRun(trial.runId) : null;
        if (run && !isTerminal(run.status)) await this.queue.cancel(run, sweepCancelledReason);
      }
    }
    return this.sweeps.getSweep(id);
  }

  /** Stops following sweeps (server shutdown): they stay running in the store and resume at the next start. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.driven.values()];
    for (const driven of all) {
      driven.mode = 'closing';
      driven.controller.abort(new Error('server stopping'));
    }
    await Promise.all(all.map((d) => d.done));
  }

  record(id: string): SweepRecord | null {
    const sweep = this.sweeps.getSweep(id);
    if (!sweep) return null;
    const trials = this.sweeps.trials(id).map((t) => this.trialView(sweep, t));
    return {
      id: sweep.id,
      name: sweep.name,
      spec: sweep.spec as unknown as SweepSpecJson, // a validated spec is plain JSON
      status: sweep.status,
      reason: sweep.reason,
      reuse: sweep.reuse,
      createdAt: new Date(sweep.createdAt).toISOString(),
      updatedAt: new Date(sweep.updatedAt).toISOString(),
      finishedAt: sweep.finishedAt === null ? null : new Date(sweep.finishedAt).toISOString(),
      planned: sweep.spec.trials,
      counts: countsOf(trials),
      trials,
      best: this.bestOf(sweep),
      eventCount: sweep.eventCount,
    };
  }

  list(): SweepListItem[] {
    return this.sweeps.listSweeps().map((sweep) => {
      const trials = this.sweeps.trials(sweep.id).map((t) => this.trialView(sweep, t));
      return {
        id: sweep.id,
        name: sweep.name,
        status: sweep.status,
        method: sweep.spec.method,
        objective: { ...sweep.spec.objective },
        createdAt: new Date(sweep.createdAt).toISOString(),
        finishedAt: sweep.finishedAt === null ? null : new Date(sweep.finishedAt).toISOString(),
        planned: sweep.spec.trials,
        counts: countsOf(trials),
        best: this.bestOf(sweep),
      };
    });
  }

  private bestOf(sweep: StoredSweep): SweepBest | null {
    const stored = this.sweeps.trials(sweep.id);
    const best = bestTrial(
      stored.flatMap((t) => (t.record ? [t.record] : [])),
      sweep.spec.objective.goal,
    );
    if (!best) return null;
    return { ...best, runId: stored.find((t) => t.id === best.id)?.runId ?? null };
  }

  private trialView(sweep: StoredSweep, trial: StoredTrial): SweepTrial {
    if (trial.record) return { ...trial.record, runId: trial.runId };
    const run = trial.runId ? this.runs.getRun(trial.runId) : null;
    const base = {
      id: trial.id,
      index: trial.index,
      runId: trial.runId,
      params: trial.params,
      objective: null,
      ...(trial.reused ? { reusedPretraining: true } : {}),
    };
    if (run?.status === 'queued') return { ...base, status: 'queued' };
    if (run && isTerminal(run.status) && sweep.status === 'cancelled') return { ...base, status: 'stopped', reason: sweepCancelledReason };
    // Running, or finished a moment ago and about to be recorded.
    return { ...base, status: 'running' };
  }

  private drive(id: string): void {
    if (this.closed || this.driven.has(id)) return;
    const driven: Driven = { controller: new AbortController(), mode: 'running', done: Promise.resolve() };
    this.driven.set(id, driven);
    driven.done = this.runDriver(id, driven)
      .catch((error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        this.log(`sweep ${id} failed: ${message}`);
        if (driven.mode === 'running') this.sweeps.setStatus(id, 'failed', `internal error: ${message}`);
      })
      .finally(() => this.driven.delete(id));
  }

  private async runDriver(id: string, driven: Driven): Promise<void> {
    const sweep = this.sweeps.getSweep(id)!;
    const spec = sweep.spec;
    const previous = this.sweeps.trials(id).flatMap((t) => (t.record ? [t.record] : []));
    const state = await runSweep({
      spec,
      previous,
      signal: driven.controller.signal,
      runTrial: (trial, onMetric, signal) => this.runTrial(id, driven, trial, onMetric, signal),
      onEvent: (event) => this.onRunnerEvent(id, driven, event),
    });
    // Cancelled: the status is written already. Closing: it resumes at the next start.
    if (driven.mode !== 'running') return;
    if (state.status === 'completed') {
      this.sweeps.removeSharedPretrainings(id);
      this.sweeps.setStatus(id, 'completed');
    }
  }

  private onRunnerEvent(id: string, driven: Driven, event: RunnerEvent): void {
    if (driven.mode === 'closing') return;
    if (event.type === 'trial-metric') {
      this.sweeps.appendEvent(id, {
        type: 'trial-metric',
        time: Date.now(),
        trialId: event.trialId,
        epoch: event.epoch,
        value: event.value,
      });
    } else if (event.type === 'trial-end') {
      const runId = this.sweeps.trial(id, event.trial.index)?.runId ?? null;
      const best = bestTrial(event.state.trials, event.state.spec.objective.goal);
      const bestRunId = best ? (this.sweeps.trial(id, this.indexOf(event.state.trials, best.id))?.runId ?? null) : null;
      this.sweeps.finishTrial(id, event.trial, {
        type: 'trial-end',
        time: Date.now(),
        trial: { ...event.trial, runId },
        best: best ? { ...best, runId: best.id === event.trial.id ? runId : bestRunId } : null,
      });
    }
  }

  private indexOf(trials: TrialRecord[], trialId: string): number {
    return trials.find((t) => t.id === trialId)?.index ?? -1;
  }

  /** One trial as a run of the queue: the run it has already when it is still usable, else a new one. */
  private async runTrial(
    sweepId: string,
    driven: Driven,
    trial: TrialRequest,
    onMetric: (metric: TrialMetric) => void,
    signal: AbortSignal,
  ): Promise<TrialOutcome> {
    const stored = this.sweeps.trial(sweepId, trial.index);
    const existing = stored?.runId ? this.runs.getRun(stored.runId) : null;
    // TPE may propose a different point for this index after a restart (more trials had finished):
    // the old run then belongs to a point the sweep no longer has.
    const usable =
      existing !== null && existing.status !== 'interrupted' && JSON.stringify(existing.config) === JSON.stringify(trial.config);
    if (existing && !usable && !isTerminal(existing.status)) await this.queue.cancel(existing, 'replaced by a new run of its trial');
    if (usable) return this.follow(sweepId, driven, trial, existing, stored?.reused ?? false, onMetric, signal);

    const shared = trial.reuseKey ? this.sweeps.readSharedPretraining(sweepId, trial.reuseKey) : null;
    const reused = shared !== null;
    const run = this.sweeps.createTrialRun(sweepId, trial, trial.config, reused, (runId) => ({
      type: 'trial-start',
      time: Date.now(),
      trial: {
        id: trial.id,
        index: trial.index,
        runId,
        params: trial.params,
        status: 'queued',
        objective: null,
        reuseKey: trial.reuseKey,
        ...(reused ? { reusedPretraining: true } : {}),
      },
    }));
    // Stored with the shared pretraining as its checkpoint, the run starts at fine-tuning. Written
    // after the run row (never a checkpoint without its run) and before anything can start it: no
    // await between here and the row's creation, so the queue cannot pick it up in between.
    if (shared) this.runs.saveCheckpointBytes(run.id, shared);
    await this.queue.submit(run);
    return this.follow(sweepId, driven, trial, run, reused, onMetric, signal);
  }

  /**
   * Follows a trial's run to its end: its stored events first (a resumed sweep re-reads what the
   * run did while nobody listened), then live ones, in one synchronous stretch so none slips between.
   */
  private follow(
    sweepId: string,
    driven: Driven,
    trial: TrialRequest,
    run: RunRecord,
    reused: boolean,
    onMetric: (metric: TrialMetric) => void,
    signal: AbortSignal,
  ): Promise<TrialOutcome> {
    const runId = run.id;
    return new Promise<TrialOutcome>((resolve) => {
      let settled = false;
      // A resumed run repeats the steps after its checkpoint: each metric reaches the rule once.
      const forwarded = new Set<string>();
      let pretrainSteps: number | null = null;
      let pretrained: Checkpoint['models']['pretrain'] | null = null;
      let live = false;

      const settle = (outcome: TrialOutcome) => {
        if (settled) return;
        settled = true;
        this.runs.events.off('event', onEvent);
        signal.removeEventListener('abort', onAbort);
        resolve(outcome);
      };

      const handle = (stored: StoredEvent) => {
        const event = stored.event;
        if (event.type === 'metric') {
          const { time: _time, attempt: _attempt, numTensors: _n, imagesPerSecond: _ips, ...fields } = event;
          const key = `${event.stage}/${event.step}/${Object.keys(fields).sort().join(',')}`;
          if (forwarded.has(key)) return;
          forwarded.add(key);
          onMetric(event);
        } else if (event.type === 'stage-start' && event.stage === 'pretrain') {
          pretrainSteps = event.totalSteps;
        } else if (event.type === 'checkpoint' && live && event.stage === 'pretrain' && event.step === pretrainSteps) {
          if (trial.reuseKey && !reused) pretrained = this.finalPretraining(runId, event.step);
        } else if (event.type === 'stage-end' && event.stage === 'pretrain' && event.summary.status === 'completed') {
          if (pretrained && trial.reuseKey && !reused && driven.mode === 'running') {
            this.sweeps.saveSharedPretraining(
              sweepId,
              trial.reuseKey,
              serializeCheckpoint(checkpointAfterPretraining(pretrained, event.summary)),
            );
          }
          pretrained = null;
        } else if (event.type === 'status') {
          if (isTerminal(event.status)) settle(this.outcomeOf(runId, reused));
          else if (live && driven.mode === 'running' && (event.status === 'queued' || event.status === 'running'))
            this.sweeps.appendEvent(sweepId, {
              type: 'trial-status',
              time: event.time,
              trialId: trial.id,
              runId,
              status: event.status,
              ...(event.reason ? { reason: event.reason } : {}),
            });
        }
      };
      const onEvent = (id: string, stored: StoredEvent) => {
        if (id === runId && !settled) handle(stored);
      };
      const onAbort = () => {
        if (driven.mode === 'closing') {
          // The run carries on in the queue; the next start follows it again.
          settle({ status: 'stopped' });
          return;
        }
        const reason = driven.mode === 'cancelling' ? sweepCancelledReason : abortReason(signal);
        const current = this.runs.getRun(runId);
        if (!current || isTerminal(current.status)) return;
        // The run's own log says why, whichever queue records the cancelled status.
        this.runs.appendEvent(runId, {
          type: 'log',
          time: Date.now(),
          level: 'info',
          message: `sweep ${sweepId}, trial ${trial.id}: ${reason}`,
        });
        void this.queue.cancel(current, reason).catch((error: unknown) => this.log(`cancelling run ${runId} failed: ${String(error)}`));
        // The run's terminal status settles the trial.
      };

      for (const stored of this.runs.eventsAfter(runId, 0)) {
        handle(stored);
        if (settled) return;
      }
      live = true;
      this.runs.events.on('event', onEvent);
      signal.addEventListener('abort', onAbort);
      // A replay may already have stopped the trial (its stored metrics crossed a rung).
      if (signal.aborted) onAbort();
    });
  }

  /** The pretraining weights of a run's checkpoint if it is the one written at the end of pretraining. */
  private finalPretraining(runId: string, step: number): Checkpoint['models']['pretrain'] | null {
    const bytes = this.runs.readCheckpointBytes(runId);
    if (!bytes) return null;
    try {
      const checkpoint = deserializeCheckpoint(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      // The run may have written a later checkpoint since: then it holds fine-tuned weights, not these.
      if (checkpoint.stage !== 'pretrain' || checkpoint.step !== step || !checkpoint.models.pretrain) return null;
      return checkpoint.models.pretrain;
    } catch (error) {
      this.log(`run ${runId}: its checkpoint could not be read for pretraining reuse: ${String(error)}`);
      return null;
    }
  }

  private outcomeOf(runId: string, reused: boolean): TrialOutcome {
    const run = this.runs.getRun(runId);
    if (!run) return { status: 'failed', error: `its run ${runId} was deleted` };
    const extra = reused ? { reusedPretraining: true } : {};
    if (run.status === 'succeeded' && run.summary)
      return { status: 'completed', summary: run.summary, seconds: run.summary.seconds, ...extra };
    if (run.status === 'cancelled') return { status: 'stopped', ...extra };
    if (run.status === 'interrupted')
      return { status: 'failed', error: `its run was interrupted: ${run.reason ?? 'no reason given'}`, ...extra };
    return { status: 'failed', error: run.error ?? 'the run failed', ...extra };
  }
}

function abortReason(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : 'stopped by the sweep';
}

function countsOf(trials: SweepTrial[]): SweepCounts {
  const counts: SweepCounts = { completed: 0, stopped: 0, failed: 0, running: 0, queued: 0 };
  for (const t of trials) counts[t.status]++;
  return counts;
}
