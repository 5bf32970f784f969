import { describe, expect, it } from 'vitest';
import { BatchPlan } from './batches';

const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);

describe('BatchPlan (repeated-stream batching, as the official input pipeline)', () => {
  it('takes ceil(images × epochs / batch) steps: 400 labelled images at batch 256 for 50 epochs is 79 steps, not 50', () => {
    const plan = new BatchPlan(range(400), 256, 1, 2);
    expect(plan.stepsPerEpoch).toBeCloseTo(400 / 256, 12);
    expect(plan.stepsFor(50)).toBe(79);
    // Official get_train_steps: 400·50 // 256 + 1 = 79 as well.
    expect(plan.stepsFor(50)).toBe(Math.floor((400 * 50) / 256) + 1);
    // Exact multiples take no extra step; fractional epochs count images.
    expect(new BatchPlan(range(512), 128, 1, 2).stepsFor(3)).toBe(12);
    expect(new BatchPlan(range(1000), 128, 1, 2).stepsFor(0.1)).toBe(1);
  });

  it('skips no image: every epoch of the stream is a permutation of the stage images, batches crossing epoch ends', () => {
    const images = range(10, 100);
    const plan = new BatchPlan(images, 4, 7, 1);
    const steps = plan.stepsFor(3); // 30 images → 8 steps, the last one 2 images into epoch 4
    expect(steps).toBe(8);
    const stream = range(steps).flatMap((s) => plan.batch(s));
    expect(stream).toHaveLength(32);
    for (let epoch = 0; epoch < 3; epoch++) expect(stream.slice(epoch * 10, epoch * 10 + 10).sort((a, b) => a - b)).toEqual(images);
    expect(range(steps).every((s) => plan.batch(s).length === 4)).toBe(true);
    // Epochs end with the step that consumed their last image: steps 3 (images 8–11), 5 (16–19) and 8 (28–31).
    expect(range(steps + 1).filter((s) => plan.endsEpoch(s))).toEqual([3, 5, 8]);
    expect(plan.epochAt(5)).toBe(2);
    expect(plan.epochsCompleted(4)).toBe(1);
  });

  it('is deterministic per (seed, stream) and independent of the order steps are asked for', () => {
    const a = new BatchPlan(range(37), 8, 3, 1);
    const b = new BatchPlan(range(37), 8, 3, 1);
    const forward = range(20).map((s) => a.batch(s));
    const backward = range(20)
      .reverse()
      .map((s) => b.batch(s))
      .reverse();
    expect(backward).toEqual(forward);
    expect(new BatchPlan(range(37), 8, 4, 1).batch(0)).not.toEqual(forward[0]);
  });

  it('shrinks a batch larger than the images and rejects bad input', () => {
    expect(new BatchPlan(range(5), 64, 1, 1).batchSize).toBe(5);
    expect(() => new BatchPlan([], 4, 1, 1)).toThrow(/no images/);
    expect(() => new BatchPlan(range(5), 0, 1, 1)).toThrow(/batch size/);
  });
});
