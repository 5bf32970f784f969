import { describe, expect, it } from 'vitest';
import { parseSweepSpec } from '../../sweep/spec';
import { OBJECTIVE_AXIS, type TrialRow, axesOf, brushOfIntervals, filterByBrushes, sortTrials, topFraction } from './sweepView';

const spec = parseSweepSpec({
  base: { dataset: { name: 'shapes' }, distill: { enabled: false } },
  parameters: {
    'pretrain.learningRate': { min: 0.01, max: 10, scale: 'log' },
    'pretrain.optimizer': { values: ['lars', 'sgd', 'adam'] },
    'pretrain.temperature': { values: [0.1, 0.2, 0.5] },
  },
  method: 'random',
  trials: 4,
  objective: { metric: 'finetune.testAccuracy', goal: 'maximize' },
});

function trial(id: string, lr: number, optimizer: string, objective: number | null): TrialRow {
  return {
    id,
    params: { 'pretrain.learningRate': lr, 'pretrain.optimizer': optimizer, 'pretrain.temperature': 0.2 },
    status: objective === null ? 'stopped' : 'completed',
    objective,
    seconds: 1,
  };
}

const trials = [
  trial('t001', 0.02, 'lars', 0.5),
  trial('t002', 0.3, 'sgd', 0.7),
  trial('t003', 4, 'adam', 0.6),
  trial('t004', 1, 'sgd', null),
];

describe('axes', () => {
  it('makes log, category and value axes and puts the objective last', () => {
    const axes = axesOf(spec);
    expect(axes.map((a) => [a.key, a.kind, a.kind === 'value' ? a.log : a.categories.join('|')])).toEqual([
      ['pretrain.learningRate', 'value', true],
      ['pretrain.optimizer', 'category', 'lars|sgd|adam'],
      ['pretrain.temperature', 'value', false],
      [OBJECTIVE_AXIS, 'value', false],
    ]);
  });
});

describe('brushing', () => {
  const axes = axesOf(spec);
  const [lr, optimizer, , objective] = axes;

  it('turns echarts intervals into brushes: data values on value axes, positions on category axes', () => {
    expect(brushOfIntervals(lr, [[0.1, 2]])).toEqual({ kind: 'range', min: 0.1, max: 2 });
    expect(brushOfIntervals(optimizer, [[0.6, 2.2]])).toEqual({ kind: 'categories', keep: ['sgd', 'adam'] });
    expect(brushOfIntervals(optimizer, [])).toBeNull();
  });

  it('keeps the trials inside every brush', () => {
    const byLr = filterByBrushes(trials, axes, { [lr.key]: { kind: 'range', min: 0.1, max: 2 } });
    expect(byLr.map((t) => t.id)).toEqual(['t002', 't004']);
    const both = filterByBrushes(trials, axes, {
      [lr.key]: { kind: 'range', min: 0.1, max: 5 },
      [optimizer.key]: { kind: 'categories', keep: ['adam'] },
    });
    expect(both.map((t) => t.id)).toEqual(['t003']);
    // A brush on the objective leaves out trials that have none.
    expect(filterByBrushes(trials, axes, { [objective.key]: { kind: 'range', min: 0, max: 1 } }).map((t) => t.id)).toEqual([
      't001',
      't002',
      't003',
    ]);
    expect(filterByBrushes(trials, axes, {})).toBe(trials);
  });
});

describe('top k%', () => {
  it('keeps the best share of the trials with an objective, by the goal', () => {
    expect(topFraction(trials, 0.34, 'maximize').map((t) => t.id)).toEqual(['t002', 't003']);
    expect(topFraction(trials, 0.1, 'minimize').map((t) => t.id)).toEqual(['t001']);
    expect(topFraction([trials[3]], 0.5, 'maximize')).toEqual([]);
  });
});

describe('sorting', () => {
  it('sorts by objective or a parameter, missing values last either way', () => {
    const axes = axesOf(spec);
    expect(sortTrials(trials, axes, { column: 'objective', descending: true }).map((t) => t.id)).toEqual(['t002', 't003', 't001', 't004']);
    expect(sortTrials(trials, axes, { column: 'objective', descending: false }).map((t) => t.id)).toEqual(['t001', 't003', 't002', 't004']);
    expect(sortTrials(trials, axes, { column: 'pretrain.learningRate', descending: false }).map((t) => t.id)).toEqual([
      't001',
      't002',
      't004',
      't003',
    ]);
  });
});
