import { describe, expect, it } from 'vitest';
import { SHAPES_DEFAULT_TRAIN_SIZE, parseRunConfig } from '../../core';
import { parseSweepSpec } from '../../sweep/spec';
import { estimateSweep, runImages, trainImageCount } from './sweepEta';

const base = {
  dataset: { name: 'shapes', trainSize: 64 },
  pretrain: { epochs: 1, batchSize: 16 },
  finetune: { labelFraction: 0.5, epochs: 1, batchSize: 16, baseline: false },
  distill: { enabled: false },
};

describe('runImages', () => {
  it('counts pretraining views twice, fine-tuning on the labelled share, the baseline again', () => {
    // pretrain: 4 steps × 16 × 2 views = 128; fine-tune: 32 labelled → 2 steps × 16 = 32.
    expect(runImages(parseRunConfig(base))).toBe(160);
    expect(runImages(parseRunConfig({ ...base, finetune: { ...base.finetune, baseline: true } }))).toBe(192);
    expect(trainImageCount(parseRunConfig({ dataset: { name: 'shapes', trainSize: null } }))).toBe(SHAPES_DEFAULT_TRAIN_SIZE);
    expect(runImages(parseRunConfig({ dataset: { name: 'folder', trainSize: null } }))).toBeNull();
  });
});

describe('estimateSweep', () => {
  it('sums the trials it will propose, so sweeping epochs changes the estimate', () => {
    const spec = parseSweepSpec({
      base,
      parameters: { 'pretrain.epochs': { values: [1, 2] }, 'pretrain.temperature': { values: [0.1, 0.5] } },
    });
    // Two trials at 1 epoch (160 images) and two at 2 epochs (128 more views each).
    const estimate = estimateSweep(spec, 32);
    expect(estimate.trials).toBe(4);
    expect(estimate.images).toBe(160 * 2 + 288 * 2);
    expect(estimate.seconds).toBeCloseTo(896 / 32);
  });

  it('has no time without a measured rate', () => {
    const spec = parseSweepSpec({ base, parameters: { 'pretrain.temperature': { values: [0.1, 0.5] } } });
    expect(estimateSweep(spec, null).seconds).toBeNull();
    expect(estimateSweep(spec, 0).seconds).toBeNull();
  });
});
