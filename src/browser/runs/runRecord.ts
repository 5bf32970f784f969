import type { MetricFields, RunConfig, RunSummary, StageName, StageSummary } from '../../core';
import type { LabEvent } from '../../protocol/labWorkerApi';

export type LabRunStatus = 'running' | 'paused' | 'completed' | 'stopped' | 'failed' | 'interrupted';

/** One metric sample as stored and charted: where it happened plus whichever fields were measured. */
export type MetricPoint = { stage: StageName; step: number; epoch: number } & MetricFields;

export interface CheckpointInfo {
  stage: StageName;
  step: number;
  epoch: number;
}

/** A run as kept in IndexedDB (weights live separately, keyed by the same id). */
export interface StoredRun {
  id: string;
  name: string;
  createdAt: number;
  updatedAt: number;
  status: LabRunStatus;
  config: RunConfig;
  backend: string | null;
  metrics: MetricPoint[];
  stages: Partial<Record<StageName, StageSummary>>;
  summary: RunSummary | null;
  checkpoint: CheckpointInfo | null;
  error?: string;
  /** Where it trained: absent (or 'browser') for the lab's worker, 'server' for a GPU-server run. */
  origin?: 'browser' | 'server';
  /**
   * For a server run: which server, its id there, and the id of the last streamed event folded into
   * this record (a reload reattaches to the stream after it, with Last-Event-ID).
   */
  server?: { url: string; runId: string; lastEventId?: number };
}

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
  return `run-${now.toString(36)}-${Math.floor(random() * 36 ** 4).toString(36).padStart(4, '0')}`;
}

/** A short human name: dataset, model and the stages that run. */
export function describeConfig(config: RunConfig): string {
  const stages = [config.pretrain.enabled && 'pretrain', config.finetune.enabled && `ft ${formatPercent(config.finetune.labelFraction)}`, config.distill.enabled && 'distill']
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

/** Folds one event into the stored record (mutates and returns it: the worker batches writes). */
export function recordEvent(run: StoredRun, event: LabEvent): StoredRun {
  run.updatedAt = event.time;
  switch (event.type) {
    case 'run-start':
      run.backend = event.backend;
      run.status = 'running';
      break;
    case 'metric':
      run.metrics.push(metricPointOf(event));
      break;
    case 'checkpoint':
      run.checkpoint = { stage: event.stage, step: event.step, epoch: event.epoch };
      break;
    case 'stage-end':
      run.stages[event.stage] = event.summary;
      break;
    case 'controller':
      if (event.state === 'paused') run.status = 'paused';
      else if (event.state === 'running') run.status = 'running';
      break;
    case 'run-end':
      run.summary = event.summary;
      run.status = event.summary.status;
      if (event.summary.error) run.error = event.summary.error;
      break;
    case 'resumed': {
      const kept = keptAtCheckpoint(run, event);
      run.metrics = kept.metrics;
      run.stages = kept.stages;
      run.checkpoint = { stage: event.stage, step: event.step, epoch: event.epoch };
      break;
    }
    default:
      break;
  }
  return run;
}

const stageOrder: StageName[] = ['pretrain', 'finetune', 'baseline', 'distill'];

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
  const at = stageOrder.indexOf(checkpoint.stage);
  const metrics = run.metrics.filter((point) => {
    const order = stageOrder.indexOf(point.stage);
    return order < at || (order === at && point.step <= checkpoint.step);
  });
  const stages: StoredRun['stages'] = {};
  for (const [stage, summary] of Object.entries(run.stages) as [StageName, StageSummary][]) {
    if (stageOrder.indexOf(stage) < at) stages[stage] = summary;
  }
  return { metrics, stages };
}

/** After a reload no worker is running: runs that were live are interrupted (resumable if checkpointed). */
export function markInterrupted(run: StoredRun): StoredRun {
  return run.status === 'running' || run.status === 'paused' ? { ...run, status: 'interrupted' } : run;
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
