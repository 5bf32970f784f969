import { Rng } from '../core/random';
import { isRange, isTiedGroup, type ParamValue, type SweepParameter, type SweepSpec, type TiedValue } from './spec';

/**
 * Where trials come from. Every sampler is a pure function of (spec, trial index, finished
 * observations): the same spec gives the same trials, and a resumed sweep re-derives the points of
 * its unfinished trials instead of storing them.
 *
 * A point assigns each parameter key a choice: a plain value, or (tied groups) an object of
 * path → value. `pointToParams` flattens it to the `{ "<path>": value }` a trial records.
 */

export type Choice = ParamValue | TiedValue;
export type Point = Record<string, Choice>;

/** One axis of the search space, in the order the spec lists its parameters. */
export type Dimension =
  | { key: string; kind: 'categorical'; choices: Choice[] }
  | { key: string; kind: 'numeric'; min: number; max: number; log: boolean; int: boolean };

export function dimensionsOf(parameters: Record<string, SweepParameter>): Dimension[] {
  return Object.entries(parameters).map(
    ([key, p]): Dimension =>
      isRange(p)
        ? { key, kind: 'numeric', min: p.min, max: p.max, log: p.scale === 'log', int: p.type === 'int' }
        : { key, kind: 'categorical', choices: p.values },
  );
}

export function pointToParams(point: Point): Record<string, ParamValue> {
  const params: Record<string, ParamValue> = {};
  for (const [key, choice] of Object.entries(point)) {
    if (choice !== null && typeof choice === 'object') Object.assign(params, choice);
    else params[key] = choice;
  }
  return params;
}

/** Recovers the point behind recorded params (inverse of pointToParams for this spec). */
export function paramsToPoint(parameters: Record<string, SweepParameter>, params: Record<string, ParamValue>): Point {
  const point: Point = {};
  for (const [key, p] of Object.entries(parameters)) {
    if (isTiedGroup(p)) {
      const match = p.values.find((group) => Object.entries(group).every(([path, v]) => params[path] === v));
      if (match) point[key] = match;
    } else if (key in params) point[key] = params[key];
  }
  return point;
}

/**
 * Grid: the cartesian product of every parameter's `values`, in the spec's parameter order with the
 * LAST parameter varying fastest (like nested for-loops, or Python's itertools.product).
 */
export function gridPoint(parameters: Record<string, SweepParameter>, index: number): Point {
  const entries = Object.entries(parameters);
  const point: Point = {};
  let rest = index;
  for (let d = entries.length - 1; d >= 0; d--) {
    const [key, p] = entries[d];
    const values = p.values as Choice[];
    point[key] = values[rest % values.length];
    rest = Math.floor(rest / values.length);
  }
  return Object.fromEntries(entries.map(([key]) => [key, point[key]]));
}

/**
 * Maps u in [0,1) to a dimension's value. Floats: uniform, or log-uniform on a log scale. Ints: every
 * integer in [min, max] equally likely (linear), or log-uniform over [min−½, max+½] then rounded (log),
 * as Optuna does. Categorical: ⌊u·n⌋-th choice.
 */
export function fromUnit(dim: Dimension, u: number): Choice {
  if (dim.kind === 'categorical') return dim.choices[Math.min(dim.choices.length - 1, Math.floor(u * dim.choices.length))];
  const { min, max } = dim;
  if (dim.int) {
    if (!dim.log) return Math.min(max, min + Math.floor(u * (max - min + 1)));
    const lo = Math.log(min - 0.5);
    const hi = Math.log(max + 0.5);
    return clamp(Math.round(Math.exp(lo + u * (hi - lo))), min, max);
  }
  if (dim.log) return clamp(Math.exp(Math.log(min) + u * (Math.log(max) - Math.log(min))), min, max);
  return min + u * (max - min);
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}

/** The stream of trial `index`: independent of every other trial's, fixed by (seed, index). */
function trialRng(seed: number, index: number): Rng {
  return new Rng(seed).fork(index);
}

export function randomPoint(dims: Dimension[], seed: number, index: number): Point {
  const rng = trialRng(seed, index);
  return Object.fromEntries(dims.map((dim) => [dim.key, fromUnit(dim, rng.next())]));
}

const PRIMES = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97, 101, 103, 107, 109, 113];

/** Radical inverse of n in base b (the Halton coordinate). */
export function radicalInverse(n: number, base: number): number {
  let result = 0;
  let f = 1 / base;
  for (let i = n; i > 0; i = Math.floor(i / base), f /= base) result += f * (i % base);
  return result;
}

/**
 * Quasi-random: the Halton sequence (bases 2, 3, 5, … one prime per parameter, trial i takes index i)
 * with a Cranley–Patterson rotation: every coordinate is shifted by a per-dimension offset drawn
 * from the seed, modulo 1 (index 0 is the origin, which the shift moves off the corner). The shift keeps Halton's even coverage while making different seeds give
 * different (equally even) designs. Up to 30 parameters.
 */
export function quasiRandomPoint(dims: Dimension[], seed: number, index: number): Point {
  if (dims.length > PRIMES.length) throw new Error(`quasi-random supports at most ${PRIMES.length} parameters`);
  const shifts = new Rng(seed);
  return Object.fromEntries(
    dims.map((dim, d) => {
      const u = (radicalInverse(index, PRIMES[d]) + shifts.next()) % 1;
      return [dim.key, fromUnit(dim, u)];
    }),
  );
}

// ---------------------------------------------------------------- TPE

/** A finished trial as the samplers see it. `value` is null for stopped trials without an objective. */
export interface Observation {
  point: Point;
  value: number | null;
  status: 'completed' | 'stopped' | 'failed';
}

export interface TpeOptions {
  /** Random trials before the model starts (Optuna: 10). */
  startupTrials: number;
  /** Candidates drawn from l(x) per parameter (Optuna: 24). */
  candidates: number;
  /** Weight of the prior (uniform over the range / choices) in each estimator (Optuna: 1). */
  priorWeight: number;
}

export const TPE_DEFAULTS: TpeOptions = { startupTrials: 10, candidates: 24, priorWeight: 1 };

/** Optuna's default γ: how many observations form the "good" group. */
export function tpeGoodCount(n: number): number {
  return Math.min(Math.ceil(0.1 * n), 25);
}

/** Optuna's default weights: the newest 25 observations weigh 1, older ones ramp down linearly. */
export function tpeWeights(n: number): number[] {
  if (n < 25) return Array(n).fill(1);
  const ramp = Array.from({ length: n - 25 }, (_, i) => (n - 25 === 1 ? 1 / n : 1 / n + ((1 - 1 / n) * i) / (n - 26)));
  return [...ramp, ...Array(25).fill(1)];
}

/**
 * Splits observations (in trial order) into good and bad: completed trials sorted by value (goal
 * aware), the best γ(n) are good; stopped trials and the rest are bad. Failed trials are ignored.
 */
export function tpeSplit(observations: Observation[], goal: 'maximize' | 'minimize'): { good: Observation[]; bad: Observation[] } {
  const usable = observations.filter((o) => o.status !== 'failed');
  const scored = usable.filter((o) => o.value !== null && Number.isFinite(o.value));
  const sign = goal === 'maximize' ? -1 : 1;
  const ranked = [...scored].sort((a, b) => sign * (a.value! - b.value!));
  const goodSet = new Set(ranked.slice(0, tpeGoodCount(usable.length)));
  return { good: usable.filter((o) => goodSet.has(o)), bad: usable.filter((o) => !goodSet.has(o)) };
}

function erf(x: number): number {
  // Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7), enough for mixture weights.
  const sign = x < 0 ? -1 : 1;
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return sign * y;
}

function normalCdf(x: number): number {
  return 0.5 * (1 + erf(x / Math.SQRT2));
}

/** A weighted mixture of Gaussians truncated to [low, high] (numeric parameters, in transformed space). */
interface NumericParzen {
  mus: number[];
  sigmas: number[];
  weights: number[];
  low: number;
  high: number;
}

/**
 * Optuna's univariate Parzen estimator: one component per observation plus a prior component at
 * the centre with σ = the range; each observation's σ is the larger gap to its sorted neighbours,
 * clipped to [range / min(100, 1+n), range].
 */
function numericParzen(xs: number[], obsWeights: number[], low: number, high: number, priorWeight: number): NumericParzen {
  const range = high - low;
  const prior = (low + high) / 2;
  const mus = [...xs, prior];
  const weights = [...obsWeights, priorWeight];
  const order = mus.map((_, i) => i).sort((a, b) => mus[a] - mus[b]);
  const sorted = order.map((i) => mus[i]);
  const sigmasSorted = sorted.map((mu, j) => {
    const left = j > 0 ? mu - sorted[j - 1] : mu - low;
    const right = j < sorted.length - 1 ? sorted[j + 1] - mu : high - mu;
    return Math.max(left, right);
  });
  const minSigma = range / Math.min(100, 1 + xs.length);
  const sigmas = new Array<number>(mus.length);
  order.forEach((i, j) => (sigmas[i] = clamp(sigmasSorted[j], minSigma, range)));
  sigmas[mus.length - 1] = range;
  return { mus, sigmas, weights, low, high };
}

function numericLogPdf(p: NumericParzen, x: number): number {
  const total = p.weights.reduce((a, b) => a + b, 0);
  let density = 0;
  for (let i = 0; i < p.mus.length; i++) {
    const mu = p.mus[i];
    const sigma = p.sigmas[i];
    const mass = normalCdf((p.high - mu) / sigma) - normalCdf((p.low - mu) / sigma);
    const z = (x - mu) / sigma;
    density += ((p.weights[i] / total) * (Math.exp(-0.5 * z * z) / (sigma * Math.sqrt(2 * Math.PI)))) / Math.max(mass, 1e-12);
  }
  return Math.log(Math.max(density, 1e-300));
}

function numericSample(p: NumericParzen, rng: Rng): number {
  const total = p.weights.reduce((a, b) => a + b, 0);
  let pick = rng.next() * total;
  let i = 0;
  while (i < p.weights.length - 1 && pick >= p.weights[i]) pick -= p.weights[i++];
  for (let attempt = 0; attempt < 100; attempt++) {
    const x = p.mus[i] + p.sigmas[i] * rng.normal();
    if (x >= p.low && x <= p.high) return x;
  }
  return clamp(p.mus[i], p.low, p.high);
}

/** Categorical estimator: each observation adds its weight to its choice on top of a uniform prior (smoothed counts). */
function categoricalProbabilities(indices: number[], obsWeights: number[], n: number, priorWeight: number): number[] {
  const mass = Array<number>(n).fill(priorWeight / n);
  indices.forEach((c, i) => (mass[c] += obsWeights[i]));
  const total = mass.reduce((a, b) => a + b, 0);
  return mass.map((m) => m / total);
}

/** Transformed space for numeric dimensions: log for log scale; ints widened by ½ on each side. */
function numericSpace(dim: Extract<Dimension, { kind: 'numeric' }>): {
  low: number;
  high: number;
  to: (v: number) => number;
  from: (x: number) => number;
} {
  const low = dim.int ? dim.min - 0.5 : dim.min;
  const high = dim.int ? dim.max + 0.5 : dim.max;
  const to = dim.log ? Math.log : (v: number) => v;
  const from = (x: number) => {
    const v = dim.log ? Math.exp(x) : x;
    return dim.int ? clamp(Math.round(v), dim.min, dim.max) : clamp(v, dim.min, dim.max);
  };
  return { low: to(low), high: to(high), to, from };
}

function choiceIndex(dim: Extract<Dimension, { kind: 'categorical' }>, choice: Choice): number {
  const text = JSON.stringify(choice);
  return dim.choices.findIndex((c) => JSON.stringify(c) === text);
}

/**
 * Tree-structured Parzen estimator, independent per parameter as Optuna's default TPESampler: the
 * first `startupTrials` trials are random; then observations split into good (best γ(n)) and bad,
 * one Parzen estimator each per parameter, `candidates` draws from the good estimator l(x), and
 * the draw with the largest l(x)/g(x) wins.
 */
export function tpePoint(
  dims: Dimension[],
  seed: number,
  index: number,
  observations: Observation[],
  goal: 'maximize' | 'minimize',
  options: TpeOptions = TPE_DEFAULTS,
): Point {
  const usable = observations.filter((o) => o.status !== 'failed');
  if (usable.length < options.startupTrials) return randomPoint(dims, seed, index);
  const rng = trialRng(seed, index);
  const { good, bad } = tpeSplit(usable, goal);
  const point: Point = {};
  for (const dim of dims) {
    const has = (o: Observation) => dim.key in o.point;
    const goodObs = good.filter(has);
    const badObs = bad.filter(has);
    const goodWeights = tpeWeights(goodObs.length);
    const badWeights = tpeWeights(badObs.length);
    if (dim.kind === 'categorical') {
      const n = dim.choices.length;
      const l = categoricalProbabilities(
        goodObs.map((o) => choiceIndex(dim, o.point[dim.key])).filter((i) => i >= 0),
        goodWeights,
        n,
        options.priorWeight,
      );
      const g = categoricalProbabilities(
        badObs.map((o) => choiceIndex(dim, o.point[dim.key])).filter((i) => i >= 0),
        badWeights,
        n,
        options.priorWeight,
      );
      let best = 0;
      let bestScore = -Infinity;
      for (let c = 0; c < options.candidates; c++) {
        let pick = rng.next();
        let k = 0;
        while (k < n - 1 && pick >= l[k]) pick -= l[k++];
        const score = Math.log(l[k]) - Math.log(g[k]);
        if (score > bestScore) [best, bestScore] = [k, score];
      }
      point[dim.key] = dim.choices[best];
    } else {
      const space = numericSpace(dim);
      const xs = (obs: Observation[]) => obs.map((o) => space.to(o.point[dim.key] as number));
      const l = numericParzen(xs(goodObs), goodWeights, space.low, space.high, options.priorWeight);
      const g = numericParzen(xs(badObs), badWeights, space.low, space.high, options.priorWeight);
      let best = l.mus[0];
      let bestScore = -Infinity;
      for (let c = 0; c < options.candidates; c++) {
        const x = numericSample(l, rng);
        const score = numericLogPdf(l, x) - numericLogPdf(g, x);
        if (score > bestScore) [best, bestScore] = [x, score];
      }
      point[dim.key] = space.from(best);
    }
  }
  return point;
}

/** The point of trial `index` for any method. `observations` only matter for tpe. */
export function proposePoint(
  spec: Pick<SweepSpec, 'parameters' | 'method' | 'seed' | 'objective'>,
  index: number,
  observations: Observation[] = [],
): Point {
  const dims = dimensionsOf(spec.parameters);
  switch (spec.method) {
    case 'grid':
      return gridPoint(spec.parameters, index);
    case 'random':
      return randomPoint(dims, spec.seed, index);
    case 'quasi-random':
      return quasiRandomPoint(dims, spec.seed, index);
    case 'tpe':
      return tpePoint(dims, spec.seed, index, observations, spec.objective.goal);
  }
}
