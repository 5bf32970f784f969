import type { RunConfig, RunSummary, StageName, StageSummary } from '../../core';
import type { ControllerState, LabEvent, StagePlan } from '../../protocol/labWorkerApi';
import { type CheckpointInfo, type MetricPoint, type LabRunStatus, type StoredRun, foldRunEvents } from '../../browser/runs/runRecord';

export interface SimilaritySnapshot {
  stage: StageName;
  step: number;
  size: number;
  values: number[];
  contrastiveAccuracy: number;
}

export interface EmbeddingSnapshot {
  stage: StageName;
  step: number;
  points: [number, number][];
  labels: number[];
}

export interface LogLine {
  time: number;
  level: 'info' | 'warn' | 'error';
  message: string;
}

/** Everything the views show about one run: live, stored, or opened from a shared link. */
export interface RunView {
  runId: string | null;
  config: RunConfig | null;
  status: LabRunStatus | 'idle' | 'starting';
  controller: ControllerState;
  /** Pause was pressed but the step under way has not ended yet. */
  pausing: boolean;
  /** The stages this run trains (from the worker once the data is loaded), for the remaining time. */
  plan: StagePlan[] | null;
  backend: string | null;
  statusMessage: string | null;
  metrics: MetricPoint[];
  stages: Partial<Record<StageName, StageSummary>>;
  progress: { stage: StageName; step: number; totalSteps: number } | null;
  similarity: SimilaritySnapshot | null;
  embedding: EmbeddingSnapshot | null;
  logs: LogLine[];
  summary: RunSummary | null;
  checkpoint: CheckpointInfo | null;
}

export const emptyRunView: RunView = {
  runId: null,
  config: null,
  status: 'idle',
  controller: 'idle',
  pausing: false,
  plan: null,
  backend: null,
  statusMessage: null,
  metrics: [],
  stages: {},
  progress: null,
  similarity: null,
  embedding: null,
  logs: [],
  summary: null,
  checkpoint: null,
};

const maxLogLines = 100;

/**
 * Folds a batch of worker events into the view. What the stored record also holds (status,
 * metrics, stages, summary, checkpoint) comes from the one reducer, foldRunEvents, so the live and
 * stored status never disagree; this adds only what the views alone show. Returns a new object when
 * anything changed (so React re-renders once per batch), with arrays copied only when they grow.
 */
export function applyLabEvents(view: RunView, events: LabEvent[]): RunView {
  if (events.length === 0) return view;
  const { error: _error, ...shared } = foldRunEvents(view, events);
  const next: RunView = { ...view, ...shared };
  let logs: LogLine[] | null = null;
  for (const event of events) {
    switch (event.type) {
      case 'run-start':
        next.config = event.config;
        break;
      case 'stage-start':
        next.progress = { stage: event.stage, step: event.startStep, totalSteps: event.totalSteps };
        break;
      case 'metric':
        if (next.progress?.stage === event.stage) next.progress = { ...next.progress, step: event.step };
        break;
      case 'log':
        (logs ??= [...next.logs]).push({ time: event.time, level: event.level, message: event.message });
        break;
      case 'similarity':
        next.similarity = {
          stage: event.stage,
          step: event.step,
          size: event.size,
          values: event.values,
          contrastiveAccuracy: event.contrastiveAccuracy,
        };
        break;
      case 'embedding':
        next.embedding = { stage: event.stage, step: event.step, points: event.points, labels: event.labels };
        break;
      case 'run-end':
        endControls(next);
        next.statusMessage = event.summary.error ? `Failed: ${event.summary.error}` : `Run ${event.summary.status}`;
        break;
      case 'settled':
        endControls(next);
        if (event.error) next.statusMessage = `Failed: ${event.error}`;
        break;
      case 'status':
        next.statusMessage = event.message;
        break;
      case 'plan':
        next.plan = event.stages;
        break;
      case 'controller':
        next.controller = event.state;
        next.pausing = event.pausing === true;
        break;
    }
  }
  if (logs) next.logs = logs.slice(-maxLogLines);
  return next;
}

/** A run that ended has no controls left to show. */
function endControls(view: RunView): void {
  view.controller = 'idle';
  view.pausing = false;
  view.progress = null;
}

/** A stored run shown in the live views (reopened from the Runs list or after a reload). */
export function runViewOfStored(run: StoredRun): RunView {
  return {
    ...emptyRunView,
    runId: run.id,
    config: run.config,
    status: run.status,
    backend: run.backend,
    metrics: run.metrics,
    stages: run.stages,
    summary: run.summary,
    checkpoint: run.checkpoint,
    statusMessage: run.error ? `Failed: ${run.error}` : null,
  };
}

/** Points of one stage that carry `field`, in step order, for a chart. */
export function seriesOf(
  metrics: MetricPoint[],
  stage: StageName,
  field: keyof MetricPoint,
): { step: number; epoch: number; value: number }[] {
  const out: { step: number; epoch: number; value: number }[] = [];
  for (const point of metrics) {
    const value = point[field];
    if (point.stage === stage && typeof value === 'number') out.push({ step: point.step, epoch: point.epoch, value });
  }
  return out;
}
