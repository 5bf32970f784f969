import { metricField, metricGoal, type EarlyStoppingSpec, type StageMetric } from './spec';

/**
 * Early stopping as pure decisions over plain data, so every host (CLI, server, tab) makes the same
 * call from the same reports and a resumed sweep can rebuild its state from the recorded curves.
 *
 * ASHA (asynchronous successive halving, Li et al. 2018, in the stopping form of Optuna's
 * SuccessiveHalvingPruner): rungs at minEpochs·η^k epochs of the metric's stage. A trial reaching a
 * rung records its value there and continues only if the value is among the best max(1, ⌊n/η⌋) of
 * the n values recorded at that rung so far (itself included; ties continue). So the first trial at
 * a rung always continues, and later ones must beat the rung's running cut-off.
 *
 * Median rule (Google Vizier / Optuna MedianPruner): from minEpochs on, a trial whose value at an
 * epoch is worse than the median of the other trials' values at that same epoch stops, once at least
 * MEDIAN_MIN_OTHERS other trials have reported there.
 */

export const MEDIAN_MIN_OTHERS = 3;

export interface RungRecord {
  trialId: string;
  value: number;
}

export interface EarlyStoppingState {
  /** Checkpoint (ASHA: rung epoch; median: epoch) → values recorded there, in arrival order. */
  records: Record<string, RungRecord[]>;
}

export interface MetricReport {
  trialId: string;
  /** Epoch of the metric's stage at which the value was measured (may be fractional). */
  epoch: number;
  value: number;
}

export type Verdict = { stop: false } | { stop: true; epoch: number; reason: string };

const EPS = 1e-9;

export function emptyEarlyStoppingState(): EarlyStoppingState {
  return { records: {} };
}

/** Rung epochs minEpochs·η^k up to (and including) maxEpochs. */
export function ashaRungs(minEpochs: number, reductionFactor: number, maxEpochs: number): number[] {
  const rungs: number[] = [];
  for (let r = minEpochs; r <= maxEpochs + EPS; r *= reductionFactor) rungs.push(r);
  return rungs;
}

/** Readable value: accuracies as percentages, the rest as numbers. */
export function formatMetricValue(metric: StageMetric, value: number): string {
  return metricField(metric).endsWith('Accuracy') ? `${(100 * value).toFixed(1)}%` : value.toPrecision(4);
}

export function metricLabel(metric: StageMetric): string {
  const field = metricField(metric);
  if (field === 'knnAccuracy') return 'k-NN';
  if (field === 'linearProbeAccuracy') return 'linear probe';
  if (field === 'testAccuracy') return 'test accuracy';
  return field;
}

function formatEpoch(epoch: number): string {
  return Number.isInteger(epoch) ? String(epoch) : epoch.toFixed(2).replace(/0+$/, '');
}

function better(goal: 'maximize' | 'minimize', a: number, b: number): number {
  return goal === 'maximize' ? b - a : a - b;
}

function keyOf(epoch: number): string {
  return String(Math.round(epoch * 1e6) / 1e6);
}

/**
 * Feeds one report to the rule: records it and says whether the trial stops. Returns a new state
 * (the input is not changed). Reports a trial already made at a checkpoint are recorded once.
 */
export function judgeReport(
  rule: EarlyStoppingSpec,
  state: EarlyStoppingState,
  report: MetricReport,
): { state: EarlyStoppingState; verdict: Verdict } {
  const records = { ...state.records };
  const goal = metricGoal(rule.metric);
  const checkpoints =
    rule.type === 'asha'
      ? ashaRungs(rule.minEpochs, rule.reductionFactor, report.epoch)
      : report.epoch + EPS >= rule.minEpochs
        ? [report.epoch]
        : [];
  let verdict: Verdict = { stop: false };
  for (const epoch of checkpoints) {
    const key = keyOf(epoch);
    const here = records[key] ?? [];
    if (here.some((r) => r.trialId === report.trialId)) continue;
    const others = here.map((r) => r.value);
    records[key] = [...here, { trialId: report.trialId, value: report.value }];
    if (verdict.stop) continue;
    verdict =
      rule.type === 'asha' ? ashaVerdict(rule, goal, epoch, report.value, others) : medianVerdict(rule, goal, epoch, report.value, others);
  }
  return { state: { records }, verdict };
}

function ashaVerdict(rule: EarlyStoppingSpec, goal: 'maximize' | 'minimize', epoch: number, value: number, others: number[]): Verdict {
  const all = [...others, value].sort((a, b) => better(goal, a, b));
  const n = all.length;
  const keep = Math.max(1, Math.floor(n / rule.reductionFactor));
  const cutoff = all[keep - 1];
  if (better(goal, value, cutoff) <= 0) return { stop: false };
  const side = goal === 'maximize' ? 'below' : 'above';
  const eta = Number.isInteger(rule.reductionFactor) ? String(rule.reductionFactor) : rule.reductionFactor.toPrecision(3);
  return {
    stop: true,
    epoch,
    reason: `stopped at epoch ${formatEpoch(epoch)}: ${metricLabel(rule.metric)} ${formatMetricValue(rule.metric, value)} ${side} the rung's cut-off ${formatMetricValue(rule.metric, cutoff)} (top 1/${eta} of ${n})`,
  };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function medianVerdict(rule: EarlyStoppingSpec, goal: 'maximize' | 'minimize', epoch: number, value: number, others: number[]): Verdict {
  if (others.length < MEDIAN_MIN_OTHERS) return { stop: false };
  const m = median(others);
  if (better(goal, value, m) <= 0) return { stop: false };
  const side = goal === 'maximize' ? 'below' : 'above';
  return {
    stop: true,
    epoch,
    reason: `stopped at epoch ${formatEpoch(epoch)}: ${metricLabel(rule.metric)} ${formatMetricValue(rule.metric, value)} ${side} the median ${formatMetricValue(rule.metric, m)} of ${others.length} other trials there`,
  };
}

/** Rebuilds the state from recorded curves (resume): records every value, ignores the verdicts. */
export function replayCurves(rule: EarlyStoppingSpec, curves: { trialId: string; curve: [number, number][] }[]): EarlyStoppingState {
  let state = emptyEarlyStoppingState();
  for (const { trialId, curve } of curves)
    for (const [epoch, value] of curve) state = judgeReport(rule, state, { trialId, epoch, value }).state;
  return state;
}

/** The cut-off a rung applies now (for charts): the max(1,⌊n/η⌋)-th best recorded value. */
export function rungCutoffs(rule: EarlyStoppingSpec, state: EarlyStoppingState): { epoch: number; cutoff: number; count: number }[] {
  if (rule.type !== 'asha') return [];
  const goal = metricGoal(rule.metric);
  return Object.entries(state.records)
    .map(([key, records]) => {
      const sorted = records.map((r) => r.value).sort((a, b) => better(goal, a, b));
      return {
        epoch: Number(key),
        cutoff: sorted[Math.max(1, Math.floor(sorted.length / rule.reductionFactor)) - 1],
        count: sorted.length,
      };
    })
    .sort((a, b) => a.epoch - b.epoch);
}
