import { describe, expect, it } from 'vitest';
import {
  dimensionsOf,
  fromUnit,
  gridPoint,
  paramsToPoint,
  pointToParams,
  proposePoint,
  quasiRandomPoint,
  radicalInverse,
  randomPoint,
  tpeGoodCount,
  tpePoint,
  tpeSplit,
  tpeWeights,
  type Dimension,
  type Observation,
  type Point,
} from './samplers';
import { parseSweepSpec, type SweepParameter } from './spec';

const space: Record<string, SweepParameter> = {
  'pretrain.temperature': { min: 0.05, max: 1, scale: 'linear', type: 'float' },
  'pretrain.learningRate': { min: 1e-4, max: 1, scale: 'log', type: 'float' },
  'finetune.epochs': { min: 1, max: 20, scale: 'linear', type: 'int' },
  'pretrain.optimizer': { values: ['lars', 'sgd', 'adam'] },
};
const dims = dimensionsOf(space);

describe('grid', () => {
  it('enumerates the cartesian product with the last parameter fastest', () => {
    const parameters: Record<string, SweepParameter> = { a: { values: [1, 2] }, b: { values: ['x', 'y', 'z'] } };
    const points = Array.from({ length: 6 }, (_, i) => gridPoint(parameters, i));
    expect(points).toEqual([
      { a: 1, b: 'x' },
      { a: 1, b: 'y' },
      { a: 1, b: 'z' },
      { a: 2, b: 'x' },
      { a: 2, b: 'y' },
      { a: 2, b: 'z' },
    ]);
  });

  it('covers every combination exactly once, ranges included through their values', () => {
    const spec = parseSweepSpec({
      parameters: {
        'pretrain.temperature': { values: [0.1, 0.2, 0.5, 1.0] },
        'pretrain.batchSize': { values: [64, 128, 256] },
        'pretrain.learningRate': { min: 0.1, max: 4, scale: 'log', values: [0.3, 1, 3] },
        opt: { values: [{ 'pretrain.optimizer': 'lars' }, { 'pretrain.optimizer': 'adam', 'pretrain.weightDecay': 0 }] },
      },
    });
    expect(spec.trials).toBe(72);
    const keys = new Set(Array.from({ length: spec.trials }, (_, i) => JSON.stringify(pointToParams(proposePoint(spec, i)))));
    expect(keys.size).toBe(72);
  });
});

describe('points and params', () => {
  it('flattens tied groups and recovers the point from recorded params', () => {
    const parameters: Record<string, SweepParameter> = {
      seed: { values: [1, 2] },
      opt: {
        values: [
          { 'pretrain.optimizer': 'lars', 'pretrain.learningRate': 1 },
          { 'pretrain.optimizer': 'adam', 'pretrain.learningRate': 0.001 },
        ],
      },
    };
    const point: Point = { seed: 2, opt: { 'pretrain.optimizer': 'adam', 'pretrain.learningRate': 0.001 } };
    const params = pointToParams(point);
    expect(params).toEqual({ seed: 2, 'pretrain.optimizer': 'adam', 'pretrain.learningRate': 0.001 });
    expect(paramsToPoint(parameters, params)).toEqual(point);
  });
});

describe('fromUnit', () => {
  it('maps the unit interval onto each kind of range', () => {
    const int: Dimension = { key: 'k', kind: 'numeric', min: 1, max: 4, log: false, int: true };
    expect([0, 0.24, 0.25, 0.5, 0.75, 0.9999].map((u) => fromUnit(int, u))).toEqual([1, 1, 2, 3, 4, 4]);
    const log: Dimension = { key: 'l', kind: 'numeric', min: 1e-3, max: 10, log: true, int: false };
    expect(fromUnit(log, 0)).toBeCloseTo(1e-3, 12);
    expect(fromUnit(log, 0.75)).toBeCloseTo(1, 9);
    const cat: Dimension = { key: 'c', kind: 'categorical', choices: ['a', 'b', 'c'] };
    expect([0, 0.34, 0.67, 0.99].map((u) => fromUnit(cat, u))).toEqual(['a', 'b', 'c', 'c']);
  });
});

describe('random', () => {
  it('is a pure function of seed and index', () => {
    expect(randomPoint(dims, 7, 3)).toEqual(randomPoint(dims, 7, 3));
    expect(randomPoint(dims, 7, 3)).not.toEqual(randomPoint(dims, 8, 3));
    expect(randomPoint(dims, 7, 3)).not.toEqual(randomPoint(dims, 7, 4));
  });

  it('samples log ranges log-uniformly, ints as integers hitting every value, choices evenly', () => {
    const n = 4000;
    const points = Array.from({ length: n }, (_, i) => randomPoint(dims, 1, i));
    const lrs = points.map((p) => p['pretrain.learningRate'] as number);
    expect(Math.min(...lrs)).toBeGreaterThanOrEqual(1e-4);
    expect(Math.max(...lrs)).toBeLessThanOrEqual(1);
    // Log-uniform over 4 decades: a quarter in each decade (uniform would put 90% in the top one).
    for (const [lo, hi] of [
      [1e-4, 1e-3],
      [1e-3, 1e-2],
      [1e-2, 1e-1],
      [1e-1, 1],
    ]) {
      expect(lrs.filter((v) => v >= lo && v < hi).length / n).toBeCloseTo(0.25, 1);
    }
    const epochs = points.map((p) => p['finetune.epochs'] as number);
    expect(epochs.every(Number.isInteger)).toBe(true);
    expect(new Set(epochs).size).toBe(20);
    const lars = points.filter((p) => p['pretrain.optimizer'] === 'lars').length / n;
    expect(lars).toBeCloseTo(1 / 3, 1);
  });
});

describe('quasi-random (shifted Halton)', () => {
  it('computes radical inverses', () => {
    expect([1, 2, 3, 4, 5].map((n) => radicalInverse(n, 2))).toEqual([0.5, 0.25, 0.75, 0.125, 0.625]);
    expect([1, 2, 3, 4].map((n) => radicalInverse(n, 3))).toEqual([1 / 3, 2 / 3, 1 / 9, 4 / 9]);
  });

  it('is seeded: the same seed repeats, another seed shifts the design', () => {
    expect(quasiRandomPoint(dims, 3, 5)).toEqual(quasiRandomPoint(dims, 3, 5));
    expect(quasiRandomPoint(dims, 3, 5)).not.toEqual(quasiRandomPoint(dims, 4, 5));
  });

  it('hits every one of 16 bins with its first 16 points, for every seed', () => {
    const unit: Dimension[] = [{ key: 'u', kind: 'numeric', min: 0, max: 1, log: false, int: false }];
    for (let seed = 0; seed < 10; seed++) {
      const bins = new Set(Array.from({ length: 16 }, (_, i) => Math.floor((quasiRandomPoint(unit, seed, i).u as number) * 16)));
      expect(bins.size).toBe(16);
    }
  });

  it('covers the square more evenly than random points (lower box discrepancy)', () => {
    const square: Dimension[] = [
      { key: 'x', kind: 'numeric', min: 0, max: 1, log: false, int: false },
      { key: 'y', kind: 'numeric', min: 0, max: 1, log: false, int: false },
    ];
    // Largest |fraction of points in [0,a)×[0,b) − ab| over a grid of corners (star discrepancy, approximately).
    const discrepancy = (points: Point[]) => {
      let worst = 0;
      for (let i = 1; i <= 20; i++)
        for (let j = 1; j <= 20; j++) {
          const a = i / 20;
          const b = j / 20;
          const inside = points.filter((p) => (p.x as number) < a && (p.y as number) < b).length / points.length;
          worst = Math.max(worst, Math.abs(inside - a * b));
        }
      return worst;
    };
    let quasi = 0;
    let random = 0;
    for (let seed = 0; seed < 8; seed++) {
      quasi += discrepancy(Array.from({ length: 64 }, (_, i) => quasiRandomPoint(square, seed, i)));
      random += discrepancy(Array.from({ length: 64 }, (_, i) => randomPoint(square, seed, i)));
    }
    expect(quasi / 8).toBeLessThan(0.6 * (random / 8));
  });
});

describe('TPE', () => {
  it("uses Optuna's default γ and weights", () => {
    expect([1, 10, 11, 100, 1000].map(tpeGoodCount)).toEqual([1, 1, 2, 10, 25]);
    expect(tpeWeights(3)).toEqual([1, 1, 1]);
    const w = tpeWeights(30);
    expect(w).toHaveLength(30);
    expect(w[0]).toBeCloseTo(1 / 30, 12);
    expect(w[4]).toBeCloseTo(1, 12);
    expect(w.slice(5)).toEqual(Array(25).fill(1));
    expect(w[1] - w[0]).toBeCloseTo(w[2] - w[1], 12);
  });

  it('splits good from bad by goal; stopped trials count as bad, failed ones are ignored', () => {
    const obs = (value: number | null, status: Observation['status'] = 'completed'): Observation => ({ point: {}, value, status });
    const list = [
      obs(0.5),
      obs(0.9),
      obs(null, 'stopped'),
      obs(0.1),
      obs(null, 'failed'),
      ...Array.from({ length: 8 }, (_, i) => obs(0.2 + i * 0.01)),
    ];
    const max = tpeSplit(list, 'maximize');
    expect(max.good.map((o) => o.value)).toEqual([0.5, 0.9]); // γ(12) = 2, in trial order
    expect(max.bad).toHaveLength(10);
    expect(max.bad.some((o) => o.status === 'stopped')).toBe(true);
    expect(tpeSplit(list, 'minimize').good.map((o) => o.value)).toEqual([0.1, 0.2]);
  });

  it('is random during start-up and deterministic after it', () => {
    expect(tpePoint(dims, 5, 2, [], 'maximize')).toEqual(randomPoint(dims, 5, 2));
    const observations: Observation[] = Array.from({ length: 12 }, (_, i) => ({
      point: randomPoint(dims, 5, i),
      value: i / 12,
      status: 'completed',
    }));
    const a = tpePoint(dims, 5, 12, observations, 'maximize');
    expect(tpePoint(dims, 5, 12, observations, 'maximize')).toEqual(a);
    expect(tpePoint(dims, 6, 12, observations, 'maximize')).not.toEqual(a);
    expect(Number.isInteger(a['finetune.epochs'])).toBe(true);
    expect(['lars', 'sgd', 'adam']).toContain(a['pretrain.optimizer']);
  });

  it('finds better points than random search on a synthetic objective, on average over seeds', () => {
    // Minimum 0 at temperature 0.3, learning rate 1e-2, 15 epochs, adam.
    const loss = (p: Point) =>
      ((p['pretrain.temperature'] as number) - 0.3) ** 2 +
      (Math.log10(p['pretrain.learningRate'] as number) + 2) ** 2 / 16 +
      ((p['finetune.epochs'] as number) - 15) ** 2 / 400 +
      (p['pretrain.optimizer'] === 'adam' ? 0 : 0.2);
    const trials = 60;
    const seeds = 16;
    let tpeTotal = 0;
    let randomTotal = 0;
    for (let seed = 0; seed < seeds; seed++) {
      const observations: Observation[] = [];
      for (let i = 0; i < trials; i++) {
        const point = tpePoint(dims, seed, i, observations, 'minimize');
        observations.push({ point, value: loss(point), status: 'completed' });
      }
      tpeTotal += Math.min(...observations.map((o) => o.value!));
      randomTotal += Math.min(...Array.from({ length: trials }, (_, i) => loss(randomPoint(dims, seed, i))));
    }
    // Measured here: TPE 0.024 vs random 0.042 mean best loss (30 seeds, 60 trials).
    expect(tpeTotal / seeds).toBeLessThan(0.8 * (randomTotal / seeds));
  });
});

describe('proposePoint', () => {
  it.each(['grid', 'random', 'quasi-random', 'tpe'] as const)('gives the same trials for the same spec (%s)', (method) => {
    const spec = parseSweepSpec({
      method,
      trials: 6,
      seed: 11,
      parameters: {
        'pretrain.temperature': { min: 0.1, max: 1, values: [0.1, 0.5] },
        'pretrain.optimizer': { values: ['lars', 'adam', 'sgd'] },
      },
    });
    const run = () => Array.from({ length: 6 }, (_, i) => proposePoint(spec, i, []));
    expect(run()).toEqual(run());
  });
});
