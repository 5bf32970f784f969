import { type MetricFields, type RunConfig, type RunSummary, type StageName, type StageSummary, stageNames } from '../../core';
import type { LabEvent, RunOutcome } from '../../protocol/labWorkerApi';

export type LabRunStatus = 'running' | 'paused' | RunOutcome;

/** One metric sample as stored and charted: where it happened plus whichever fields were measured. */
export type MetricPoint = { stage: StageName; step: number; epoch: number } & MetricFields;

export interface CheckpointInfo {
  stage: StageName;
  step: number;
  epoch: number;
}

/** A run as kept in IndexedDB (weights live separately, keyed by the same id). */
export interface StoredRun extends RunFold {
  id: string;
  name: string;
  createdAt: number;
  updatedAt: number;
  config: RunConfig;
  /** Where it trained: absent (or 'browser') for the lab's worker, 'server' for a GPU-server run. */
  origin?: 'browser' | 'server';
  /**
   * For a server run: which server, its id there, and the id of the last streamed event folded into
   * this record (a reload reattaches to the stream after it, with Last-Event-ID).
   */
  server?: { url: string; runId: string; lastEventId?: number };
  /**
   * The encoder it started from instead of pretraining, when the config cannot name it (a shipped
   * encoder is `config.pretrain.init`): a stored run's checkpoint (a sweep trial that reused an
   * earlier trial's pretraining, or "Use as starting point") or a file.
   */
  startedFrom?: StartedFrom;
}

export type StartedFrom = { kind: 'run'; runId: string; label: string } | { kind: 'file'; name: string };

const metricKeys: (keyof MetricFields)[] = [
  'loss',
  'contrastiveAccuracy',
  'learningRate',
  'imagesPerSecond',
  'knnAccuracy',
  'linearProbeAccuracy',
  'trainAccuracy',
  'testAccuracy',
  'teacherAccuracy',
  'numTensors',
];

export function metricPointOf(event: Extract<LabEvent, { type: 'metric' }>): MetricPoint {
  const point: MetricPoint = { stage: event.stage, step: event.step, epoch: event.epoch };
  for (const key of metricKeys) {
    const value = event[key];
    if (typeof value === 'number' && Number.isFinite(value)) point[key] = value;
  }
  return point;
}

export function newRunId(now = Date.now(), random = Math.random): string {
  return `run-${now.toString(36)}-${Math.floor(random() * 36 ** 4)
    .toString(36)
    .padStart(4, '0')}`;
}

/** A short human name: dataset, model and the stages that run. */
export function describeConfig(config: RunConfig): string {
  const stages = [
    config.pretrain.enabled && 'pretrain',
    config.finetune.enabled && `ft ${formatPercent(config.finetune.labelFraction)}`,
    config.distill.enabled && 'distill',
  ]
    .filter(Boolean)
    .join(' → ');
  return `${config.dataset.name} · R${config.model.depth}×${config.model.widthMultiplier} · ${stages || 'no stages'}`;
}

export function formatPercent(fraction: number): string {
  const percent = fraction * 100;
  return `${Number.isInteger(percent) ? percent : percent.toPrecision(2)}%`;
}

export function createRun(id: string, config: RunConfig, now = Date.now()): StoredRun {
  return {
    id,
    name: describeConfig(config),
    createdAt: now,
    updatedAt: now,
    status: 'running',
    config,
    backend: null,
    metrics: [],
    stages: {},
    summary: null,
    checkpoint: null,
  };
}

/**
 * What the stored record and the live view both know about a run, and fold from the same events
 * with the same rules (`foldRunEvents`). `S` is the status type of the holder: the live view also
 * has 'idle' and 'starting' before a run's first event.
 */
export interface RunFold<S extends string = LabRunStatus> {
  status: S;
  backend: string | null;
  metrics: MetricPoint[];
  stages: Partial<Record<StageName, StageSummary>>;
  summary: RunSummary | null;
  checkpoint: CheckpointInfo | null;
  error?: string;
}

/** Statuses a run ends in. Only a new attempt (run-start) or the engine's run-end changes them. */
const outcomes: readonly string[] = ['completed', 'stopped', 'failed', 'interrupted'] satisfies RunOutcome[];

export function hasOutcome(status: string): boolean {
  return outcomes.includes(status);
}

/**
 * The one reducer of a run's event stream, shared by the stored record (recordEvent) and the live
 * view (applyLabEvents). Pure: returns a new fold (the input is not changed), copying the metrics
 * array at most once per call, so a batch of events costs one copy. Status rules:
 * run-start → running (a new attempt clears the last outcome); controller paused/running → paused/
 * running unless the run has an outcome; run-end → the summary's status; settled → its status
 * unless the run has an outcome; resumed → drops what the resumed attempt produces again.
 */
export function foldRunEvents<S extends string>(state: RunFold<S>, events: readonly LabEvent[]): RunFold<S | LabRunStatus> {
  const next: RunFold<S | LabRunStatus> = { ...state };
  let metrics: MetricPoint[] | null = null;
  for (const event of events) {
    switch (event.type) {
      case 'run-start':
        next.backend = event.backend;
        next.status = 'running';
        next.summary = null;
        delete next.error;
        break;
      case 'metric':
        (metrics ??= [...next.metrics]).push(metricPointOf(event));
        break;
      case 'checkpoint':
        next.checkpoint = { stage: event.stage, step: event.step, epoch: event.epoch };
        break;
      case 'stage-end':
        next.stages = { ...next.stages, [event.stage]: event.summary };
        break;
      case 'controller':
        if (hasOutcome(next.status)) break;
        if (event.state === 'paused') next.status = 'paused';
        else if (event.state === 'running') next.status = 'running';
        break;
      case 'run-end':
        next.summary = event.summary;
        next.status = event.summary.status;
        if (event.summary.error) next.error = event.summary.error;
        else delete next.error;
        break;
      case 'settled':
        if (hasOutcome(next.status)) break;
        next.status = event.status;
        if (event.error) next.error = event.error;
        break;
      case 'resumed': {
        const kept = keptAtCheckpoint({ metrics: metrics ?? next.metrics, stages: next.stages }, event);
        metrics = kept.metrics;
        next.stages = kept.stages;
        next.checkpoint = { stage: event.stage, step: event.step, epoch: event.epoch };
        break;
      }
      default:
        break;
    }
  }
  if (metrics) next.metrics = metrics;
  return next;
}

/** Folds one event into the stored record (mutates and returns it: the worker batches writes). */
export function recordEvent(run: StoredRun, event: LabEvent): StoredRun {
  const folded = foldRunEvents(run, [event]);
  if (!('error' in folded)) delete run.error;
  return Object.assign(run, folded, { updatedAt: event.time });
}

/**
 * Before resuming from a checkpoint: forget the metrics recorded after it (they will be produced
 * again), so curves do not double back.
 */
export function trimToCheckpoint(run: StoredRun): StoredRun {
  const checkpoint = run.checkpoint;
  if (!checkpoint) return { ...run, metrics: [], stages: {} };
  return { ...run, ...keptAtCheckpoint(run, checkpoint), status: 'running', summary: null, error: undefined };
}

/**
 * What a run resumed from `checkpoint` keeps: metric points up to it and the summaries of the stages
 * before its stage. Everything after is produced again by the resumed run (so each step shows once).
 */
export function keptAtCheckpoint(
  run: Pick<StoredRun, 'metrics' | 'stages'>,
  checkpoint: { stage: StageName; step: number },
): Pick<StoredRun, 'metrics' | 'stages'> {
  const at = stageNames.indexOf(checkpoint.stage);
  const metrics = run.metrics.filter((point) => {
    const order = stageNames.indexOf(point.stage);
    return order < at || (order === at && point.step <= checkpoint.step);
  });
  const stages: StoredRun['stages'] = {};
  for (const [stage, summary] of Object.entries(run.stages) as [StageName, StageSummary][]) {
    if (stageNames.indexOf(stage) < at) stages[stage] = summary;
  }
  return { metrics, stages };
}

/**
 * After a reload no worker is running: runs that were live are interrupted (resumable if
 * checkpointed). Returns `run` itself when it already had an outcome.
 */
export function markInterrupted(run: StoredRun): StoredRun {
  const folded = foldRunEvents(run, [{ type: 'settled', time: run.updatedAt, status: 'interrupted' }]);
  return folded.status === run.status ? run : { ...run, ...folded };
}

/** Test accuracy of a stage, from its summary or its last test-accuracy metric. */
export function stageAccuracy(run: Pick<StoredRun, 'stages' | 'metrics'>, stage: StageName): number | null {
  const summary = run.stages[stage];
  if (summary && summary.testAccuracy !== null && summary.testAccuracy !== undefined) return summary.testAccuracy;
  const field: keyof MetricFields = stage === 'pretrain' ? 'knnAccuracy' : 'testAccuracy';
  for (let i = run.metrics.length - 1; i >= 0; i--) {
    const point = run.metrics[i];
    if (point.stage === stage && typeof point[field] === 'number') return point[field] as number;
  }
  return null;
}
