import { describe, expect, it } from 'vitest';
import { parseSweepSpec } from '../../sweep/spec';
import { etaSquared, parameterImportance, quantileBins, ranks, spearman } from './importance';
import { OBJECTIVE_AXIS, type TrialRow, axesOf } from './sweepView';

describe('rank statistics', () => {
  it('ranks with ties and correlates ranks', () => {
    expect(ranks([10, 30, 20, 20])).toEqual([1, 4, 2.5, 2.5]);
    expect(spearman([1, 2, 3, 4], [1, 4, 9, 16])).toBeCloseTo(1);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1);
    expect(spearman([1, 1, 1], [1, 2, 3])).toBeNull();
  });

  it('η² is 1 when groups explain everything and 0 when their means agree', () => {
    expect(etaSquared(['a', 'a', 'b', 'b'], [1, 1, 5, 5])).toBeCloseTo(1);
    expect(etaSquared(['a', 'b', 'a', 'b'], [1, 1, 5, 5])).toBeCloseTo(0);
    expect(quantileBins([5, 1, 4, 2, 3, 6, 7, 8], 4)).toEqual(['2', '0', '1', '0', '1', '2', '3', '3']);
  });
});

describe('parameterImportance', () => {
  const spec = parseSweepSpec({
    base: { dataset: { name: 'shapes' }, distill: { enabled: false } },
    parameters: { 'pretrain.temperature': { min: 0.05, max: 1, scale: 'log' }, 'pretrain.optimizer': { values: ['lars', 'sgd'] } },
    method: 'random',
    trials: 12,
  });
  const axes = axesOf(spec);

  it('ranks the parameter that drives the objective first, with the sign of its effect', () => {
    // The objective falls with temperature; the optimizer alternates and does not matter.
    const trials: TrialRow[] = Array.from({ length: 12 }, (_, i) => ({
      id: `t${i}`,
      params: { 'pretrain.temperature': 0.05 + i * 0.08, 'pretrain.optimizer': i % 2 ? 'sgd' : 'lars' },
      status: 'completed',
      objective: 0.9 - i * 0.05 + (i % 3) * 0.001,
      seconds: 1,
    }));
    const result = parameterImportance(trials, axes, OBJECTIVE_AXIS);
    expect(result.map((r) => r.key)).toEqual(['pretrain.temperature', 'pretrain.optimizer']);
    expect(result[0].importance).toBeGreaterThan(0.8);
    expect(result[0].rho).toBeCloseTo(-1, 1);
    expect(result[1].importance).toBeLessThan(0.1);
    expect(result[1].rho).toBeNull();
  });

  it('needs three trials with an objective', () => {
    const two: TrialRow[] = [0, 1].map((i) => ({
      id: `t${i}`,
      params: { 'pretrain.temperature': i + 0.1 },
      status: 'completed',
      objective: i,
      seconds: 1,
    }));
    expect(parameterImportance(two, axes, OBJECTIVE_AXIS)).toEqual([]);
  });
});
