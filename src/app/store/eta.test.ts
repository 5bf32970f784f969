import { describe, expect, it } from 'vitest';
import { estimateRemaining, formatDuration } from './eta';

const plan = [
  { stage: 'pretrain' as const, totalSteps: 10, imagesPerStep: 64 },
  { stage: 'finetune' as const, totalSteps: 4, imagesPerStep: 16 },
  { stage: 'baseline' as const, totalSteps: 4, imagesPerStep: 16 },
];

describe('estimateRemaining', () => {
  it('multiplies the steps left by the seconds each step needs at the measured speed, over every later stage', () => {
    // 32 images/s: a pretraining step (64 views) takes 2 s, a fine-tuning step (16) 0.5 s.
    const eta = estimateRemaining(plan, { stage: 'pretrain', step: 7, totalSteps: 10 }, 32);
    expect(eta?.stageSeconds).toBeCloseTo(3 * 2);
    expect(eta?.runSeconds).toBeCloseTo(6 + 4 * 0.5 + 4 * 0.5);
  });

  it('counts only the stages after the current one', () => {
    const eta = estimateRemaining(plan, { stage: 'finetune', step: 1, totalSteps: 4 }, 16);
    expect(eta?.stageSeconds).toBeCloseTo(3);
    expect(eta?.runSeconds).toBeCloseTo(3 + 4);
  });

  it('has no estimate before a speed was measured or for a stage outside the plan', () => {
    expect(estimateRemaining(plan, { stage: 'pretrain', step: 0, totalSteps: 10 }, null)).toBeNull();
    expect(estimateRemaining(plan, { stage: 'pretrain', step: 0, totalSteps: 10 }, 0)).toBeNull();
    expect(estimateRemaining(plan, { stage: 'distill', step: 0, totalSteps: 10 }, 10)).toBeNull();
    expect(estimateRemaining(null, { stage: 'pretrain', step: 0, totalSteps: 10 }, 10)).toBeNull();
  });
});

describe('formatDuration', () => {
  it('reads as seconds, minutes or hours', () => {
    expect(formatDuration(44.6)).toBe('45 s');
    expect(formatDuration(185)).toBe('3 min 05 s');
    expect(formatDuration(3600 + 7 * 60 + 20)).toBe('1 h 07 min');
  });
});
