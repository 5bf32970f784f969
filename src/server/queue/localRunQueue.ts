import type { DataRoots } from '../dataRoots';
import type { RunQueue } from './runQueue';
import type { RunnerHandle, RunnerOutcome } from '../runner/runnerHandle';
import { probeBackend, startRunner } from '../runner/runnerHandle';
import type { RunnerJob } from '../runner/runnerProtocol';
import { TransitionError, type SqliteRunStore } from '../store/runStore';
import type { QueueState, RunRecord } from '../../protocol/serverApi';

export interface LocalQueueOptions {
  /** Runs at a time (one per GPU). */
  concurrency: number;
  dataRoots: DataRoots;
  subsetsDir: string | null;
  backend: string | null;
  /** Starts allowed per run (crash → resume → crash … ends as interrupted). */
  maxAttempts: number;
  /** How long a cancelled run may take to stop before its process is killed (default 10 s). */
  cancelGraceMs?: number;
}

interface ActiveRun {
  handle: RunnerHandle;
  cancelRequested: boolean;
  /** Why it was cancelled (a sweep's early-stopping decision), when the canceller said. */
  cancelReason?: string;
}

/**
 * The default queue: runs wait in the store (status `queued`, oldest first) and run one at a time
 * (or `concurrency`) in child processes on this machine. Nothing to install; survives restarts
 * because its only state is the store.
 */
export class LocalRunQueue implements RunQueue {
  readonly mode = 'in-process' as const;
  private readonly active = new Map<string, ActiveRun>();
  private closing = false;
  private backendInfo = { backend: 'probing…', device: 'probing…', notices: [] as string[] };
  /** Once known, runs ask for it directly instead of trying every faster backend again. */
  private probedBackend: string | null = null;

  constructor(
    private readonly store: SqliteRunStore,
    private readonly options: LocalQueueOptions,
  ) {}

  async start(): Promise<void> {
    this.recover();
    probeBackend(this.options.backend)
      .then((b) => {
        this.backendInfo = { backend: b.name, device: b.detail, notices: b.notices };
        this.probedBackend = b.name;
      })
      .catch((error: unknown) => {
        this.backendInfo = {
          backend: 'unavailable',
          device: 'unavailable',
          notices: [String(error instanceof Error ? error.message : error)],
        };
      });
    this.pump();
  }

  /**
   * Runs left `running` by a previous process (crash, kill -9, power loss) resume from their last
   * checkpoint; without one they are marked interrupted, with the reason.
   */
  private recover(): void {
    for (const run of this.store.listRuns({ status: 'running' })) this.afterLostRunner(run, 'the server stopped while it was running');
  }

  private afterLostRunner(run: RunRecord, what: string): void {
    if (!this.store.hasCheckpoint(run.id)) {
      this.store.setStatus(run.id, 'interrupted', { reason: `${what}, before its first checkpoint` });
    } else if (run.attempts >= this.options.maxAttempts) {
      this.store.setStatus(run.id, 'interrupted', { reason: `${what}; gave up after ${run.attempts} attempts` });
    } else {
      const at = run.checkpoint ? ` (${run.checkpoint.stage} step ${run.checkpoint.step})` : '';
      this.store.setStatus(run.id, 'queued', { reason: `${what}; will resume from its last checkpoint${at}` });
    }
  }

  async submit(): Promise<void> {
    this.pump();
  }

  async cancel(run: RunRecord, reason?: string): Promise<RunRecord> {
    const active = this.active.get(run.id);
    if (active) {
      active.cancelRequested = true;
      active.cancelReason ??= reason;
      active.handle.stop();
      return this.store.getRun(run.id)!;
    }
    try {
      return this.store.setStatus(run.id, 'cancelled', { reason: reason ? `${reason} (while queued)` : 'cancelled while queued' });
    } catch (error) {
      if (error instanceof TransitionError) return this.store.getRun(run.id)!;
      throw error;
    }
  }

  async state(): Promise<QueueState> {
    return {
      mode: this.mode,
      concurrency: this.options.concurrency,
      queued: this.store.listRuns({ status: 'queued' }).length,
      running: this.active.size,
    };
  }

  backend() {
    return this.backendInfo;
  }

  async close(): Promise<void> {
    this.closing = true;
    // Runs stay `running` in the store: the next start resumes them from their checkpoints.
    for (const active of this.active.values()) active.handle.kill();
    await Promise.all([...this.active.values()].map((a) => a.handle.outcome));
  }

  private pump(): void {
    if (this.closing) return;
    for (const run of this.store.listRuns({ status: 'queued' })) {
      if (this.active.size >= this.options.concurrency) return;
      if (!this.active.has(run.id)) this.launch(run);
    }
  }

  private launch(run: RunRecord): void {
    const resume = this.store.hasCheckpoint(run.id);
    this.store.setStatus(run.id, 'running', { worker: 'local', reason: resume ? 'resumed from its last checkpoint' : undefined });
    const job: RunnerJob = {
      runId: run.id,
      config: run.config,
      dataRoots: this.options.dataRoots,
      subsetsDir: this.options.subsetsDir,
      resumeFromPath: resume ? this.store.checkpointPath(run.id) : null,
      checkpointPath: this.store.checkpointPath(run.id),
      backend: this.options.backend ?? this.probedBackend,
    };
    const handle = startRunner(job, (event) => this.store.appendEvent(run.id, event), { cancelGraceMs: this.options.cancelGraceMs });
    const active: ActiveRun = { handle, cancelRequested: false };
    this.active.set(run.id, active);
    void handle.outcome.then((outcome) => {
      this.active.delete(run.id);
      if (!this.closing) this.finish(run.id, outcome, active.cancelRequested, active.cancelReason);
      this.pump();
    });
  }

  private finish(id: string, outcome: RunnerOutcome, cancelRequested: boolean, cancelReason?: string): void {
    const cancelled = cancelReason ?? 'cancelled by request';
    if (outcome.kind === 'done') {
      const { summary } = outcome;
      if (summary.status === 'completed') this.store.setStatus(id, 'succeeded', { summary });
      else if (summary.status === 'stopped')
        this.store.setStatus(id, 'cancelled', { summary, reason: cancelRequested ? cancelled : 'stopped' });
      else this.store.setStatus(id, 'failed', { summary, error: summary.error ?? 'the run failed' });
    } else if (outcome.kind === 'failed') {
      this.store.setStatus(id, 'failed', { error: outcome.error });
    } else if (outcome.kind === 'killed') {
      this.store.setStatus(id, 'cancelled', { reason: `${cancelled}; ${outcome.error}` });
    } else if (cancelRequested) {
      this.store.setStatus(id, 'cancelled', { reason: `${cancelled}; ${outcome.error}` });
    } else {
      this.afterLostRunner(this.store.getRun(id)!, outcome.error);
    }
  }
}
