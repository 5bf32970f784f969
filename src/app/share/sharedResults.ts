import { type RunSummary, type StageName, type StageSummary, stageNames } from '../../core';
import type { MetricPoint } from '../../browser/runs/runRecord';

/** What a share link carries besides the config: curves (thinned) and the stage summaries. */
export interface SharedResults {
  version: 1;
  status: RunSummary['status'] | 'running' | 'paused' | 'interrupted';
  backend: string | null;
  metrics: MetricPoint[];
  stages: Partial<Record<StageName, StageSummary>>;
}

/** Keeps every evaluation point and at most `perStage` training points per stage, with 4 significant digits. */
export function thinMetrics(metrics: MetricPoint[], perStage = 120): MetricPoint[] {
  const out: MetricPoint[] = [];
  for (const stage of stageNames) {
    const points = metrics.filter((m) => m.stage === stage);
    const stride = Math.max(1, Math.ceil(points.length / perStage));
    points.forEach((point, i) => {
      const isEvaluation = point.knnAccuracy !== undefined || point.testAccuracy !== undefined || point.teacherAccuracy !== undefined;
      if (isEvaluation || i % stride === 0 || i === points.length - 1) out.push(roundPoint(point));
    });
  }
  return out;
}

function roundPoint(point: MetricPoint): MetricPoint {
  const rounded = { ...point } as Record<string, unknown>;
  for (const [key, value] of Object.entries(point)) {
    if (typeof value === 'number' && key !== 'step') rounded[key] = Number(value.toPrecision(4));
  }
  delete rounded.numTensors;
  delete rounded.imagesPerSecond;
  return rounded as unknown as MetricPoint;
}

export function sharedResultsOf(run: {
  status: SharedResults['status'];
  backend: string | null;
  metrics: MetricPoint[];
  stages: SharedResults['stages'];
}): SharedResults {
  return { version: 1, status: run.status, backend: run.backend, metrics: thinMetrics(run.metrics), stages: run.stages };
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/**
 * Checks results decoded from a link (anyone can write one): returns them cleaned, or the reason
 * they are unusable. Malformed points are dropped rather than trusted.
 */
export function parseSharedResults(value: unknown): { ok: true; results: SharedResults } | { ok: false; reason: string } {
  if (!isRecord(value)) return { ok: false, reason: 'results are not an object' };
  if (value.version !== 1) return { ok: false, reason: `unsupported results version ${String(value.version)}` };
  if (!Array.isArray(value.metrics)) return { ok: false, reason: 'results have no metrics list' };
  const metrics: MetricPoint[] = [];
  for (const raw of value.metrics) {
    if (!isRecord(raw) || !stageNames.includes(raw.stage as StageName) || !isFiniteNumber(raw.step) || !isFiniteNumber(raw.epoch)) continue;
    const point: Record<string, unknown> = { stage: raw.stage, step: raw.step, epoch: raw.epoch };
    for (const [key, field] of Object.entries(raw)) if (isFiniteNumber(field)) point[key] = field;
    metrics.push(point as unknown as MetricPoint);
  }
  const stages: SharedResults['stages'] = {};
  if (isRecord(value.stages)) {
    for (const stage of stageNames) {
      const summary = value.stages[stage];
      if (isRecord(summary) && (summary.testAccuracy === null || isFiniteNumber(summary.testAccuracy))) {
        stages[stage] = summary as unknown as StageSummary;
      }
    }
  }
  const statuses = ['completed', 'stopped', 'failed', 'running', 'paused', 'interrupted'];
  const status = statuses.includes(value.status as string) ? (value.status as SharedResults['status']) : 'completed';
  const backend = typeof value.backend === 'string' ? value.backend : null;
  return { ok: true, results: { version: 1, status, backend, metrics, stages } };
}
