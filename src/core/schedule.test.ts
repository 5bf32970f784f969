import { describe, expect, it } from 'vitest';
import { learningRateAt, scaledLearningRate } from './schedule';

describe('scaledLearningRate', () => {
  it('scales linearly by batch/256 or by sqrt(batch)', () => {
    expect(scaledLearningRate(0.3, 4096, 'linear')).toBeCloseTo(4.8, 10);
    expect(scaledLearningRate(0.3, 256, 'linear')).toBeCloseTo(0.3, 10);
    expect(scaledLearningRate(0.075, 4096, 'sqrt')).toBeCloseTo(4.8, 10);
    expect(scaledLearningRate(0.1, 64, 'sqrt')).toBeCloseTo(0.8, 10);
    expect(() => scaledLearningRate(1, 0, 'linear')).toThrow(/batch size/);
  });
});

describe('learningRateAt', () => {
  const schedule = { peak: 2, warmupSteps: 10, totalSteps: 110 };

  it('warms up linearly from 0', () => {
    expect(learningRateAt(0, schedule)).toBe(0);
    expect(learningRateAt(5, schedule)).toBeCloseTo(1, 12);
    expect(learningRateAt(9, schedule)).toBeCloseTo(1.8, 12);
  });

  it('then decays along a cosine to 0', () => {
    expect(learningRateAt(10, schedule)).toBeCloseTo(2, 12);
    expect(learningRateAt(60, schedule)).toBeCloseTo(1, 12); // half-way: cos(pi/2) = 0
    expect(learningRateAt(35, schedule)).toBeCloseTo(2 * 0.5 * (1 + Math.cos(Math.PI / 4)), 12);
    expect(learningRateAt(110, schedule)).toBeCloseTo(0, 12);
    expect(learningRateAt(500, schedule)).toBeCloseTo(0, 12);
  });

  it('is monotone during decay and handles no warm-up', () => {
    let previous = Infinity;
    for (let step = 10; step <= 110; step++) {
      const lr = learningRateAt(step, schedule);
      expect(lr).toBeLessThanOrEqual(previous);
      previous = lr;
    }
    expect(learningRateAt(0, { peak: 1, warmupSteps: 0, totalSteps: 4 })).toBe(1);
    expect(learningRateAt(2, { peak: 1, warmupSteps: 0, totalSteps: 4 })).toBeCloseTo(0.5, 12);
  });
});
