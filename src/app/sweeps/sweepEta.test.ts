import { describe, expect, it } from 'vitest';
import { SHAPES_DEFAULT_TRAIN_SIZE, parseRunConfig } from '../../core';
import { parseSweepSpec } from '../../sweep/spec';
import { estimateSweep, makespan, runImages, trainImageCount } from './sweepEta';

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

describe('estimateSweep with trials at once', () => {
  const temperatures = parseSweepSpec({ base, parameters: { 'pretrain.temperature': { values: [0.1, 0.2, 0.5, 1] } } });

  it('divides the time by the workers when the trials are alike, and keeps the images', () => {
    // Four trials of 160 images at 32 images/s: 20 s one after another, 10 s two at a time.
    expect(estimateSweep(temperatures, 32).seconds).toBeCloseTo(20);
    const two = estimateSweep(temperatures, 32, { workers: 2, speed: 1 });
    expect(two.seconds).toBeCloseTo(10);
    expect(two.images).toBe(640);
    expect(two.workers).toBe(2);
    // Three workers still need two rounds for four trials; slower workers take proportionally longer.
    expect(estimateSweep(temperatures, 32, { workers: 3, speed: 1 }).seconds).toBeCloseTo(10);
    expect(estimateSweep(temperatures, 32, { workers: 4, speed: 0.5 }).seconds).toBeCloseTo(10);
  });

  it('waits for the longest trial: two workers cannot beat one trial of 2 epochs', () => {
    const epochs = parseSweepSpec({
      base,
      parameters: { 'pretrain.epochs': { values: [1, 2] }, 'pretrain.temperature': { values: [0.5] } },
    });
    // 160 and 288 images at 32/s: 14 s one after another, 9 s (the longer one) side by side.
    expect(estimateSweep(epochs, 32).seconds).toBeCloseTo(14);
    expect(estimateSweep(epochs, 32, { workers: 2, speed: 1 }).seconds).toBeCloseTo(9);
  });

  it('runs trials that share a pretraining one after another, as the runner does', () => {
    // Sweeping only the label fraction: every trial has the same pretraining, so nothing runs side by side.
    const fractions = parseSweepSpec({ base, parameters: { 'finetune.labelFraction': { values: [0.25, 0.5] } } });
    const one = estimateSweep(fractions, 32).seconds ?? 0;
    expect(estimateSweep(fractions, 32, { workers: 2, speed: 1 }).seconds).toBeCloseTo(one);
  });
});

describe('makespan', () => {
  it('hands each job to the first free worker in order', () => {
    const free = (seconds: number) => ({ seconds, reuseKey: null });
    expect(makespan([free(3), free(1), free(1), free(1)], 2)).toBe(3);
    expect(makespan([free(1), free(1), free(3)], 2)).toBe(4);
    expect(makespan([], 4)).toBe(0);
    expect(makespan([free(2), free(2)], 1)).toBe(4);
  });

  it('lets a job skip ahead of one waiting for its shared pretraining', () => {
    const jobs = [
      { seconds: 2, reuseKey: 'a' },
      { seconds: 2, reuseKey: 'a' },
      { seconds: 2, reuseKey: 'b' },
    ];
    // a and b start together; the second a waits for the first.
    expect(makespan(jobs, 2)).toBe(4);
    expect(makespan(jobs, 3)).toBe(4);
  });
});
