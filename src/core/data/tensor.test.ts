import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { toFloatBatch } from './tensor';

describe('toFloatBatch', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('scales uint8 HWC to float [0,1] NHWC without leaking tensors', () => {
    const before = tf.memory().numTensors;
    const bytes = Uint8Array.from({ length: 2 * 2 * 2 * 3 }, (_, i) => i * 10);
    const batch = toFloatBatch(bytes, 2, 2);
    expect(batch.shape).toEqual([2, 2, 2, 3]);
    const values = batch.dataSync();
    for (let i = 0; i < bytes.length; i++) expect(values[i]).toBeCloseTo(bytes[i] / 255, 6);
    batch.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('resizes bilinearly to the target size (a constant image stays constant, a ramp stays monotone)', () => {
    const before = tf.memory().numTensors;
    const flat = toFloatBatch(new Uint8Array(4 * 4 * 3).fill(51), 1, 4, 8);
    expect(flat.shape).toEqual([1, 8, 8, 3]);
    for (const v of flat.dataSync()) expect(v).toBeCloseTo(0.2, 6);
    flat.dispose();
    const ramp = Uint8Array.from({ length: 4 * 4 * 3 }, (_, i) => 60 * (Math.floor(i / 3) % 4));
    const up = toFloatBatch(ramp, 1, 4, 8);
    const row = Array.from(up.dataSync())
      .filter((_, i) => i % 3 === 0)
      .slice(0, 8);
    for (let x = 1; x < 8; x++) expect(row[x]).toBeGreaterThanOrEqual(row[x - 1]);
    // Half-pixel centres: output x = 3 sits at input x = 1.25 → 60·1.25.
    expect(row[3]).toBeCloseTo((60 * 1.25) / 255, 5);
    up.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('checks the byte count', () => {
    expect(() => toFloatBatch(new Uint8Array(5), 1, 2)).toThrow('batch has 5 bytes, expected 1×2×2×3 = 12');
  });
});
