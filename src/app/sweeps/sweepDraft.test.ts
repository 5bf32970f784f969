import { describe, expect, it } from 'vitest';
import { parseRunConfig } from '../../core';
import {
  buildSpecInput,
  defaultMark,
  draftOfSpec,
  emptyDraft,
  gridValues,
  issueTarget,
  parseValueList,
  validateDraft,
  type SweepDraft,
} from './sweepDraft';

const config = parseRunConfig({ dataset: { name: 'shapes', trainSize: 64, testSize: 32, imageSize: 16 }, distill: { enabled: false } });

function draftWith(patch: Partial<SweepDraft>): SweepDraft {
  return { ...emptyDraft, ...patch };
}

describe('defaultMark', () => {
  it('offers every option of a choice field and v/2, v, 2v of a number', () => {
    expect(defaultMark('pretrain.optimizer', 'lars', ['lars', 'sgd'], false)).toMatchObject({ kind: 'choice', valuesText: 'lars, sgd' });
    expect(defaultMark('pretrain.temperature', 0.5, undefined, false)).toMatchObject({
      kind: 'numeric',
      valuesText: '0.25, 0.5, 1',
      min: '0.05',
      max: '5',
      scale: 'log',
    });
    // Integer fields stay whole and positive.
    expect(defaultMark('pretrain.batchSize', 3, undefined, true).valuesText).toBe('2, 3, 6');
  });
});

describe('parseValueList', () => {
  it('reads numbers, booleans and text, and names what is not a number', () => {
    expect(parseValueList('0.1, 0.2 ,, 1', 'numeric', false)).toEqual({ values: [0.1, 0.2, 1], issues: [] });
    expect(parseValueList('lars, adam', 'choice', false).values).toEqual(['lars', 'adam']);
    expect(parseValueList('18, 50', 'choice', true).values).toEqual([18, 50]);
    expect(parseValueList('0.1, abc', 'numeric', false).issues).toEqual(['"abc" is not a number']);
    expect(parseValueList(' , ', 'numeric', false).issues).toEqual(['list at least one value (comma-separated)']);
  });
});

describe('gridValues', () => {
  it('spaces points linearly or geometrically, rounding int ranges', () => {
    expect(gridValues(0, 1, 3, false, false)).toEqual([0, 0.5, 1]);
    expect(gridValues(0.01, 1, 3, true, false)).toEqual([0.01, 0.1, 1]);
    expect(gridValues(16, 64, 3, true, true)).toEqual([16, 32, 64]);
  });
});

describe('building a spec from marked fields', () => {
  const temperature = { ...defaultMark('pretrain.temperature', 0.5, undefined, false), valuesText: '0.2, 0.5' };
  const optimizer = defaultMark('pretrain.optimizer', 'lars', ['lars', 'sgd', 'adam', 'adamw'], false);

  it('turns two marked controls into a valid grid spec on top of the current settings', () => {
    const check = validateDraft(draftWith({ marks: [temperature, optimizer], objective: 'pretrain.knnAccuracy' }), config);
    expect(check.ok).toBe(true);
    if (!check.ok) return;
    expect(check.spec.trials).toBe(8);
    expect(check.spec.parameters['pretrain.temperature']).toEqual({ values: [0.2, 0.5] });
    expect(check.spec.parameters['pretrain.optimizer']).toEqual({ values: ['lars', 'sgd', 'adam', 'adamw'] });
    expect(check.spec.base).toEqual(config);
    expect(check.spec.concurrency).toBe(1);
  });

  it('gives a grid points on a range and leaves ranges alone for random search', () => {
    const lr = { ...defaultMark('pretrain.learningRate', 1, undefined, false), mode: 'range' as const, min: '0.1', max: '10' };
    const grid = buildSpecInput(draftWith({ marks: [lr] }), config).input.parameters as Record<string, unknown>;
    expect(grid['pretrain.learningRate']).toEqual({ min: 0.1, max: 10, scale: 'log', type: 'float', values: [0.1, 1, 10] });
    const random = buildSpecInput(draftWith({ marks: [lr], method: 'random', trials: '5' }), config).input.parameters as Record<
      string,
      unknown
    >;
    expect(random['pretrain.learningRate']).toEqual({ min: 0.1, max: 10, scale: 'log', type: 'float' });
  });

  it('files schema errors under the field they name', () => {
    const bad = { ...temperature, valuesText: '0.2, -1' };
    const check = validateDraft(draftWith({ marks: [bad, optimizer], method: 'random', objective: 'distill.testAccuracy' }), config);
    expect(check.ok).toBe(false);
    expect(check.errors['param:pretrain.temperature']?.[0]).toMatch(/^values\.1: -1:/);
    expect(check.errors.trials).toEqual(['required for method random']);
    expect(check.errors.objective?.[0]).toMatch(/distill stage is disabled/);
    expect(check.errors['param:pretrain.optimizer']).toBeUndefined();
  });

  it('reports unparsable entries before the schema runs', () => {
    const check = validateDraft(draftWith({ marks: [{ ...temperature, valuesText: 'warm' }], trials: 'many' }), config);
    expect(check.errors['param:pretrain.temperature']).toEqual(['"warm" is not a number']);
    expect(check.errors.trials).toEqual(['trials "many" is not a number']);
  });

  it('takes the trials at once from the form and files a bad count under its field', () => {
    const marks = [temperature];
    const two = validateDraft(draftWith({ marks, objective: 'pretrain.knnAccuracy', concurrency: '2' }), config);
    expect(two.ok && two.spec.concurrency).toBe(2);
    expect(
      validateDraft(draftWith({ marks, objective: 'pretrain.knnAccuracy', concurrency: '0' }), config).errors.concurrency?.length,
    ).toBe(1);
    expect(validateDraft(draftWith({ marks, objective: 'pretrain.knnAccuracy', concurrency: 'two' }), config).errors.concurrency).toEqual([
      'trials at once "two" is not a number',
    ]);
  });

  it('asks for at least one parameter', () => {
    expect(validateDraft(emptyDraft, config).errors.parameters).toEqual(['a sweep needs at least one parameter']);
  });

  it('maps nested parameter paths to the longest marked path', () => {
    const marks = [defaultMark('finetune.epochs', 20, undefined, true), defaultMark('finetune.epochsX', 1, undefined, true)];
    expect(issueTarget('parameters.finetune.epochs.values.0', marks)).toBe('param:finetune.epochs');
    expect(issueTarget('earlyStopping.metric', marks)).toBe('earlyStopping');
    expect(issueTarget('base.seed', marks)).toBe('general');
  });

  it('round-trips a spec into the form', () => {
    const check = validateDraft(
      draftWith({ marks: [temperature, optimizer], objective: 'pretrain.knnAccuracy', name: 'τ', concurrency: '3' }),
      config,
    );
    if (!check.ok) throw new Error('expected a valid spec');
    const again = validateDraft(
      draftOfSpec(check.spec, (p) => p === 'pretrain.temperature'),
      config,
    );
    expect(again.ok && again.spec).toEqual(check.spec);
  });
});
