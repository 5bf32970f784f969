import { type Axis, type TrialRow, axisValue } from './sweepView';

/**
 * Which parameters mattered, from the finished trials alone (no surrogate model).
 *
 * Method ("fANOVA-lite"): the share of the objective's variance that the parameter's bins explain,
 * η² = Σ_b n_b (m_b − m)² / Σ_i (y_i − m)², computed on the objective's ranks (so one outlier
 * cannot dominate). Bins are the choices of a category axis, and up to 4 equal-count (quantile)
 * bins of a numeric one. η² is in [0, 1] and treats numeric and categorical parameters alike, so the
 * bars compare. For numeric parameters the signed Spearman rank correlation ρ is reported too: it
 * says which way the objective moves (|ρ| misses U-shaped effects, which η² catches).
 */

/** Ranks 1..n with ties sharing their mean rank. */
export function ranks(values: number[]): number[] {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(values.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    const mean = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) out[order[k][1]] = mean;
    i = j + 1;
  }
  return out;
}

function pearson(x: number[], y: number[]): number | null {
  const n = x.length;
  if (n < 2) return null;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxx === 0 || syy === 0 ? null : sxy / Math.sqrt(sxx * syy);
}

/** Spearman's ρ: the Pearson correlation of the ranks (null when either side is constant). */
export function spearman(x: number[], y: number[]): number | null {
  return pearson(ranks(x), ranks(y));
}

/** η² of `y` grouped by `groups` (the same length): between-group over total sum of squares. */
export function etaSquared(groups: string[], y: number[]): number | null {
  const n = y.length;
  if (n < 2) return null;
  const mean = y.reduce((a, b) => a + b, 0) / n;
  const total = y.reduce((a, v) => a + (v - mean) ** 2, 0);
  if (total === 0) return null;
  const sums = new Map<string, { sum: number; count: number }>();
  groups.forEach((g, i) => {
    const s = sums.get(g) ?? { sum: 0, count: 0 };
    s.sum += y[i];
    s.count++;
    sums.set(g, s);
  });
  let between = 0;
  for (const { sum, count } of sums.values()) between += count * (sum / count - mean) ** 2;
  return between / total;
}

/** Equal-count bins of numeric values (at most `bins`; equal values share a bin). */
export function quantileBins(values: number[], bins: number): string[] {
  const distinct = [...new Set(values)].sort((a, b) => a - b);
  if (distinct.length <= bins) return values.map(String);
  const r = ranks(values);
  return r.map((rank) => String(Math.min(bins - 1, Math.floor(((rank - 1) * bins) / values.length))));
}

export interface Importance {
  key: string;
  /** η² of the objective's ranks by the parameter's bins, in [0, 1]. */
  importance: number;
  /** Spearman ρ between the parameter and the objective (numeric parameters only). */
  rho: number | null;
  trials: number;
}

export const MIN_TRIALS_FOR_IMPORTANCE = 3;

/** Importance of every parameter axis (the objective axis excluded), largest first. */
export function parameterImportance(trials: TrialRow[], axes: Axis[], objectiveKey: string): Importance[] {
  const scored = trials.filter((t) => t.objective !== null && Number.isFinite(t.objective));
  if (scored.length < MIN_TRIALS_FOR_IMPORTANCE) return [];
  const y = ranks(scored.map((t) => t.objective as number));
  const out: Importance[] = [];
  for (const axis of axes) {
    if (axis.key === objectiveKey) continue;
    const values = scored.map((t) => axisValue(t, axis));
    const present = values.map((v, i) => [v, y[i]] as const).filter(([v]) => v !== null);
    if (present.length < MIN_TRIALS_FOR_IMPORTANCE) continue;
    const ys = present.map(([, r]) => r);
    let groups: string[];
    let rho: number | null = null;
    if (axis.kind === 'value') {
      const xs = present.map(([v]) => v as number);
      groups = quantileBins(xs, 4);
      rho = spearman(xs, ys);
    } else groups = present.map(([v]) => String(v));
    out.push({ key: axis.key, importance: etaSquared(groups, ys) ?? 0, rho, trials: present.length });
  }
  return out.sort((a, b) => b.importance - a.importance);
}
