import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/config';
import { gridSize, parseSweepSpec, safeParseSweepSpec, trialConfig } from './spec';
import { exampleSweepSpec } from './testSupport';

/** The example as the issue wrote it: a learning-rate range before the optimizer group that also sets it. */
const issueExample = {
  ...exampleSweepSpec,
  parameters: { 'pretrain.learningRate': { min: 0.1, max: 4.0, scale: 'log' }, ...exampleSweepSpec.parameters },
};

function issuesOf(input: unknown): { path: string; message: string }[] {
  const result = safeParseSweepSpec(input);
  if (result.ok) throw new Error('expected the spec to be refused');
  return result.issues;
}

describe('parseSweepSpec', () => {
  it("accepts the issue's example except that it sets pretrain.learningRate twice", () => {
    const issues = issuesOf(issueExample);
    expect(issues).toEqual([
      { path: 'parameters.optimizer', message: 'sets pretrain.learningRate, which parameters.pretrain.learningRate also sets' },
    ]);
    const spec = parseSweepSpec(exampleSweepSpec);
    expect(spec.trials).toBe(24);
    expect(spec.earlyStopping).toEqual({ type: 'asha', metric: 'pretrain.knnAccuracy', minEpochs: 1, reductionFactor: 3 });
  });

  it('fills defaults and sizes a grid from its values', () => {
    const spec = parseSweepSpec({ parameters: { seed: { values: [1, 2, 3] }, 'finetune.labelFraction': { values: [0.01, 0.1] } } });
    expect(spec.method).toBe('grid');
    expect(spec.trials).toBe(6);
    expect(spec.objective).toEqual({ metric: 'finetune.testAccuracy', goal: 'maximize' });
    expect(spec.earlyStopping).toBeNull();
    expect(spec.concurrency).toBe(1);
  });

  it.each([
    [{ parameters: { 'pretrain.temprature': { values: [0.1] } } }, 'parameters.pretrain.temprature', /unknown field/],
    [{ parameters: { 'pretrain.temperature': { values: [0.1, -1] } } }, 'parameters.pretrain.temperature.values.1', /-1: .*(greater|>)/i],
    [{ parameters: { 'model.depth': { values: [18, 19] } } }, 'parameters.model.depth.values.1', /must be one of 18, 34/],
    [{ parameters: { 'pretrain.optimizer': { values: ['lars', 'rmsprop'] } } }, 'parameters.pretrain.optimizer.values.1', /"rmsprop"/],
    [
      { method: 'random', trials: 3, parameters: { 'pretrain.temperature': { min: 0.05, max: 200 } } },
      'parameters.pretrain.temperature',
      /max 200 is outside the field's bounds/,
    ],
    [
      { method: 'random', trials: 3, parameters: { 'pretrain.grayscaleProbability': { min: -0.5, max: 0.5 } } },
      'parameters.pretrain.grayscaleProbability',
      /min -0.5 is outside/,
    ],
    [
      { method: 'random', trials: 3, parameters: { 'pretrain.learningRate': { min: 0, max: 1, scale: 'log' } } },
      'parameters.pretrain.learningRate',
      /log-scale range needs min > 0/,
    ],
    [
      { method: 'random', trials: 3, parameters: { 'pretrain.learningRate': { min: 2, max: 1 } } },
      'parameters.pretrain.learningRate',
      /must be below max/,
    ],
    [
      { method: 'random', trials: 3, parameters: { 'pretrain.batchSize': { min: 32, max: 256 } } },
      'parameters.pretrain.batchSize',
      /use "type": "int"/,
    ],
    [
      { method: 'random', trials: 3, parameters: { 'pretrain.optimizer': { min: 0, max: 1 } } },
      'parameters.pretrain.optimizer',
      /outside the field's bounds/,
    ],
    [{ parameters: { 'pretrain.learningRate': { min: 0.1, max: 1 } } }, 'parameters.pretrain.learningRate', /grid needs "values"/],
    [
      { parameters: { 'pretrain.learningRate': { min: 0.1, max: 1, values: [0.5, 2] } } },
      'parameters.pretrain.learningRate.values.1',
      /outside \[0.1, 1\]/,
    ],
    [
      { parameters: { group: { values: [{ 'pretrain.optimizer': 'lars' }, { 'pretrain.optimzer': 'adam' }] } } },
      'parameters.group.values.1.pretrain.optimzer',
      /unknown field/,
    ],
    [{ parameters: { group: { values: [{ 'pretrain.momentum': 2 }] } } }, 'parameters.group.values.0.pretrain.momentum', /2: /],
    [{ parameters: { group: { values: [{ seed: 1 }, 3] } } }, 'parameters.group', /not a mix/],
    [{ method: 'random', parameters: { seed: { values: [1] } } }, 'trials', /required for method random/],
    [{ trials: 5, parameters: { seed: { values: [1, 2] } } }, 'trials', /grid has 2 points/],
    [{ base: { pretrain: { temperature: 0 } }, parameters: { seed: { values: [1] } } }, 'base.pretrain.temperature', /./],
    [{ base: { pretrian: {} }, parameters: { seed: { values: [1] } } }, 'base.pretrian', /unknown field/],
    [{ parameters: {} }, 'parameters', /at least one parameter/],
    [
      { parameters: { seed: { values: [1] } }, objective: { metric: 'finetune.accuracy', goal: 'maximize' } },
      'objective.metric',
      /must be one of/,
    ],
    [
      { parameters: { seed: { values: [1] } }, earlyStopping: { type: 'asha', metric: 'seconds' } },
      'earlyStopping.metric',
      /must be one of/,
    ],
    [
      { parameters: { seed: { values: [1] } }, earlyStopping: { type: 'asha', metric: 'pretrain.testAccuracy' } },
      'earlyStopping.metric',
      /must be one of pretrain.knnAccuracy/,
    ],
    [
      {
        parameters: { seed: { values: [1] } },
        base: { distill: { enabled: false } },
        objective: { metric: 'distill.testAccuracy', goal: 'maximize' },
      },
      'objective.metric',
      /distill stage is disabled/,
    ],
    [{ parameters: { seed: { values: [1] } }, methd: 'grid' }, 'methd', /unknown field/],
  ])('refuses %j naming %s', (input, path, message) => {
    const issues = issuesOf(input);
    const issue = issues.find((i) => i.path === path);
    expect(issue, JSON.stringify(issues)).toBeDefined();
    expect(issue!.message).toMatch(message);
  });

  it('throws a ConfigError carrying every issue at once', () => {
    try {
      parseSweepSpec({ method: 'random', parameters: { 'pretrain.temprature': { values: [1] }, 'model.depth': { values: [7] } } });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).issues.map((i) => i.path).sort()).toEqual([
        'parameters.model.depth.values.0',
        'parameters.pretrain.temprature',
        'trials',
      ]);
    }
  });

  it('accepts a stage enabled by a parameter even if base disables it', () => {
    expect(() =>
      parseSweepSpec({
        base: { distill: { enabled: false } },
        parameters: { 'distill.enabled': { values: [true, false] } },
        objective: { metric: 'distill.testAccuracy', goal: 'maximize' },
      }),
    ).not.toThrow();
  });
});

describe('gridSize and trialConfig', () => {
  it('counts the cartesian product', () => {
    expect(
      gridSize({
        a: { values: [1, 2, 3] },
        b: { values: [1, 2] },
        c: { min: 0, max: 1, scale: 'linear', type: 'float', values: [0, 0.5, 1, 0.25] },
      }),
    ).toBe(24);
    const spec = parseSweepSpec({
      parameters: { 'pretrain.temperature': { values: [0.1, 0.2, 0.5, 1.0] }, 'pretrain.batchSize': { values: [64, 128, 256] } },
    });
    expect(spec.trials).toBe(12);
    expect(
      parseSweepSpec({
        trials: 5,
        parameters: { 'pretrain.temperature': { values: [0.1, 0.2, 0.5, 1.0] }, 'pretrain.batchSize': { values: [64, 128, 256] } },
      }).trials,
    ).toBe(5);
  });

  it('builds a trial config from base and params', () => {
    const config = trialConfig(
      { base: { dataset: { name: 'shapes' }, pretrain: { epochs: 2 } } },
      { 'pretrain.temperature': 0.2, 'pretrain.optimizer': 'adam' },
    );
    expect(config.dataset.name).toBe('shapes');
    expect(config.pretrain.epochs).toBe(2);
    expect(config.pretrain.temperature).toBe(0.2);
    expect(config.pretrain.optimizer).toBe('adam');
    expect(config.finetune.epochs).toBe(20);
  });
});

describe('parameter shapes', () => {
  it('explains what a parameter must look like', () => {
    const issues = issuesOf({ parameters: { seed: { value: [1] } } });
    expect(issues[0].path).toBe('parameters.seed');
    expect(issues[0].message).toMatch(/expected \{ "values": \[...\] \} or a range/);
  });
});
