import type { RunConfig, StageName, StageSummary } from '../../core';
import { type MetricPoint, formatPercent, stageAccuracy } from '../../browser/runs/runRecord';

export interface LabelEfficiencyRow {
  labelFraction: number;
  label: string;
  supervised: number | null;
  fineTuned: number | null;
  distilled: number | null;
  runId: string;
}

export interface RunLike {
  id: string;
  createdAt: number;
  config: RunConfig;
  stages: Partial<Record<StageName, StageSummary>>;
  metrics: MetricPoint[];
}

/**
 * One row per label fraction (the most recent run that fine-tuned at that fraction), with test
 * accuracy in percent of supervised-only (baseline), fine-tuned and distilled models.
 */
export function labelEfficiencyRows(runs: RunLike[]): LabelEfficiencyRow[] {
  const latest = new Map<number, RunLike>();
  for (const run of runs) {
    if (!run.config.finetune.enabled) continue;
    if (stageAccuracy(run, 'finetune') === null && stageAccuracy(run, 'baseline') === null) continue;
    const fraction = run.config.finetune.labelFraction;
    const seen = latest.get(fraction);
    if (!seen || seen.createdAt < run.createdAt) latest.set(fraction, run);
  }
  const percent = (value: number | null) => (value === null ? null : Math.round(value * 1000) / 10);
  return [...latest.entries()]
    .sort(([a], [b]) => a - b)
    .map(([labelFraction, run]) => ({
      labelFraction,
      label: `${formatPercent(labelFraction)} labels`,
      supervised: percent(stageAccuracy(run, 'baseline')),
      fineTuned: percent(stageAccuracy(run, 'finetune')),
      distilled: percent(stageAccuracy(run, 'distill')),
      runId: run.id,
    }));
}
