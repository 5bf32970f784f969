import { describe, expect, it } from 'vitest';
import { Rng } from '../random';
import { capIndices, labelFractionSubset, stratifiedSample } from './subsets';

/** 1000 labels over 10 classes with uneven sizes: class c has 19 + 18c images, shuffled. */
function unevenLabels(): Int32Array {
  const labels: number[] = [];
  for (let c = 0; c < 10; c++) for (let i = 0; i < 19 + 18 * c; i++) labels.push(c);
  return Int32Array.from(new Rng(123).shuffle(labels));
}

function classCounts(labels: ArrayLike<number>, indices: ArrayLike<number>): number[] {
  const counts = new Array(10).fill(0);
  for (let k = 0; k < indices.length; k++) counts[labels[indices[k]]]++;
  return counts;
}

describe('labelFractionSubset', () => {
  const labels = unevenLabels();
  const sizes = Array.from({ length: 10 }, (_, c) => 19 + 18 * c);

  it('takes round(fraction × classCount) per class, at least one', () => {
    for (const fraction of [0.01, 0.1, 0.37]) {
      const subset = labelFractionSubset(labels, fraction, 5);
      const expected = sizes.map((n) => Math.max(1, Math.round(fraction * n)));
      expect(classCounts(labels, subset)).toEqual(expected);
      expect(subset.length).toBe(expected.reduce((a, b) => a + b, 0));
    }
  });

  it('returns sorted, distinct, in-range indices', () => {
    const subset = labelFractionSubset(labels, 0.1, 1);
    for (let k = 1; k < subset.length; k++) expect(subset[k]).toBeGreaterThan(subset[k - 1]);
    expect(subset[0]).toBeGreaterThanOrEqual(0);
    expect(subset[subset.length - 1]).toBeLessThan(labels.length);
  });

  it('is deterministic under the seed and differs between seeds', () => {
    expect(Array.from(labelFractionSubset(labels, 0.1, 42))).toEqual(Array.from(labelFractionSubset(labels, 0.1, 42)));
    expect(Array.from(labelFractionSubset(labels, 0.1, 42))).not.toEqual(Array.from(labelFractionSubset(labels, 0.1, 43)));
  });

  it('fraction 1 gives every index', () => {
    expect(Array.from(labelFractionSubset(labels, 1, 0))).toEqual(Array.from({ length: labels.length }, (_, i) => i));
  });

  it('covers a class missing from some labels and rejects bad input', () => {
    expect(Array.from(labelFractionSubset([3, 3, 7], 0.01, 0))).toHaveLength(2);
    expect(() => labelFractionSubset(labels, 0, 0)).toThrow(/label fraction must be in \(0, 1\], got 0/);
    expect(() => labelFractionSubset([0, -1], 0.5, 0)).toThrow(/labels\[1\] = -1/);
  });
});

describe('stratifiedSample', () => {
  const labels = unevenLabels();

  it('returns exactly the requested count with class proportions kept', () => {
    const sample = stratifiedSample(labels, 250, 9);
    expect(sample.length).toBe(250);
    const counts = classCounts(labels, sample);
    counts.forEach((count, c) => expect(Math.abs(count - (250 * (19 + 18 * c)) / 1000)).toBeLessThan(1));
    expect(new Set(sample).size).toBe(250);
  });

  it('keeps everything when the cap is not smaller, and null means no cap', () => {
    expect(stratifiedSample(labels, 5000, 0).length).toBe(1000);
    expect(capIndices(labels, null, 0).length).toBe(1000);
    expect(capIndices(labels, 10, 0).length).toBe(10);
  });
});
