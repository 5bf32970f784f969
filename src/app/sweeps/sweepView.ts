import type { SharedTrial } from '../../sweep/shareLink';
import { type ParamValue, type SweepSpec, isRange, isTiedGroup, parameterPaths } from '../../sweep/spec';

/**
 * What the Sweeps views share, as pure functions: the axes of the parallel-coordinates chart (one
 * per swept parameter, then the objective), a trial's value on each axis, the brushing filter, the
 * "top k%" cut and the table's sort. The chart, the table and the scatter all read these, so a
 * brush on the chart and the rows of the table can never disagree.
 */

/** A trial as the views see it: stored (TrialRecord) and shared ones both fit; running ones have no result yet. */
export type TrialRow = Omit<SharedTrial, 'status'> & { status: SharedTrial['status'] | 'running'; index?: number };

export type Axis =
  | { key: string; label: string; kind: 'value'; log: boolean; paths: string[] }
  | { key: string; label: string; kind: 'category'; categories: string[]; paths: string[] };

export const OBJECTIVE_AXIS = '__objective';

/** Text of one choice on a category axis (tied groups read `a=1, b=2`). */
export function categoryOf(value: ParamValue | Record<string, ParamValue> | undefined): string {
  if (value === undefined) return '—';
  if (value !== null && typeof value === 'object')
    return Object.entries(value)
      .map(([k, v]) => `${k.split('.').pop()}=${String(v)}`)
      .join(', ');
  return String(value);
}

/**
 * One axis per parameter: ranges are value axes (log on a log scale); value lists of numbers are
 * value axes too (log when all positive and spanning 10× or more), other lists are categories in
 * the spec's order. The objective comes last.
 */
export function axesOf(spec: SweepSpec): Axis[] {
  const axes: Axis[] = Object.entries(spec.parameters).map(([key, p]): Axis => {
    const paths = parameterPaths(key, p);
    if (isRange(p)) return { key, label: key, kind: 'value', log: p.scale === 'log', paths };
    if (!isTiedGroup(p) && p.values.every((v) => typeof v === 'number')) {
      const numbers = p.values as number[];
      const min = Math.min(...numbers);
      const max = Math.max(...numbers);
      return { key, label: key, kind: 'value', log: min > 0 && max / min >= 10, paths };
    }
    return { key, label: key, kind: 'category', categories: p.values.map((v) => categoryOf(v)), paths };
  });
  axes.push({ key: OBJECTIVE_AXIS, label: spec.objective.metric, kind: 'value', log: false, paths: [] });
  return axes;
}

/** A trial's value on an axis: a number (value axes), a category's text, or null when it has none. */
export function axisValue(trial: TrialRow, axis: Axis): number | string | null {
  if (axis.key === OBJECTIVE_AXIS) return trial.objective;
  if (axis.kind === 'value') {
    const v = trial.params[axis.paths[0]];
    return typeof v === 'number' ? v : null;
  }
  if (axis.paths.length === 1 && axis.paths[0] === axis.key) return categoryOf(trial.params[axis.key]);
  // A tied group: the trial's values of the group's paths.
  const group: Record<string, ParamValue> = {};
  for (const path of axis.paths) if (path in trial.params) group[path] = trial.params[path];
  return categoryOf(group);
}

/** A brush on one axis: a closed numeric interval, or the categories kept. */
export type Brush = { kind: 'range'; min: number; max: number } | { kind: 'categories'; keep: string[] };

/**
 * Turns echarts' `activeIntervals` of an axis into a brush. On value axes they are data values
 * (log axes included); on category axes they are positions, category i sitting at i.
 */
export function brushOfIntervals(axis: Axis, intervals: [number, number][]): Brush | null {
  if (intervals.length === 0) return null;
  if (axis.kind === 'value') {
    const min = Math.min(...intervals.map((i) => Math.min(i[0], i[1])));
    const max = Math.max(...intervals.map((i) => Math.max(i[0], i[1])));
    return { kind: 'range', min, max };
  }
  const keep = axis.categories.filter((_, i) => intervals.some(([a, b]) => i >= Math.min(a, b) - 1e-9 && i <= Math.max(a, b) + 1e-9));
  return { kind: 'categories', keep };
}

/** Trials inside every brush. A trial without a value on a brushed axis (no objective yet) is outside it. */
export function filterByBrushes(trials: TrialRow[], axes: Axis[], brushes: Record<string, Brush>): TrialRow[] {
  const active = axes.filter((a) => brushes[a.key]);
  if (active.length === 0) return trials;
  return trials.filter((t) =>
    active.every((axis) => {
      const brush = brushes[axis.key];
      const v = axisValue(t, axis);
      if (v === null) return false;
      if (brush.kind === 'range') return typeof v === 'number' && v >= brush.min && v <= brush.max;
      return brush.keep.includes(String(v));
    }),
  );
}

/**
 * The best ⌈fraction·n⌉ of the n trials that have an objective (ties at the cut-off stay), by the
 * sweep's goal. Trials without an objective are never in the top.
 */
export function topFraction(trials: TrialRow[], fraction: number, goal: 'maximize' | 'minimize'): TrialRow[] {
  const scored = trials.filter((t) => t.objective !== null);
  if (scored.length === 0) return [];
  const sorted = scored.map((t) => t.objective as number).sort((a, b) => (goal === 'maximize' ? b - a : a - b));
  const keep = Math.max(1, Math.ceil(fraction * sorted.length));
  const cutoff = sorted[keep - 1];
  return scored.filter((t) => (goal === 'maximize' ? (t.objective as number) >= cutoff : (t.objective as number) <= cutoff));
}

export type SortKey = { column: string; descending: boolean };

const statusOrder: Record<string, number> = { running: 0, completed: 1, stopped: 2, failed: 3, pending: 4 };

/** Sorts rows by a column: `id`, `status`, `objective`, `reason`, or a parameter axis key. Missing values go last. */
export function sortTrials(trials: TrialRow[], axes: Axis[], sort: SortKey): TrialRow[] {
  const axis = axes.find((a) => a.key === sort.column);
  const keyOf = (t: TrialRow): number | string | null => {
    if (sort.column === 'id') return t.id;
    if (sort.column === 'status') return statusOrder[t.status] ?? 9;
    if (sort.column === 'objective') return t.objective;
    if (sort.column === 'reason') return t.reason ?? null;
    if (sort.column === 'seconds') return t.seconds;
    return axis ? axisValue(t, axis) : null;
  };
  return [...trials].sort((a, b) => {
    const x = keyOf(a);
    const y = keyOf(b);
    if (x === null && y === null) return 0;
    if (x === null) return 1;
    if (y === null) return -1;
    const order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y), undefined, { numeric: true });
    return sort.descending ? -order : order;
  });
}

/** A value for the table: numbers to 4 significant digits, accuracies as percentages. */
export function formatParam(value: ParamValue | undefined): string {
  if (value === undefined) return '—';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
  return String(value);
}

export function formatObjective(metric: string, value: number | null): string {
  if (value === null) return '—';
  return metric.endsWith('Accuracy') ? `${(100 * value).toFixed(1)}%` : Number(value.toPrecision(4)).toString();
}
