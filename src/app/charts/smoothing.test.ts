import { describe, expect, it } from 'vitest';
import { emaSmooth, ntXentChance } from './smoothing';

describe('emaSmooth', () => {
  it('is the debiased moving average, checked against values worked out by hand', () => {
    // w = 0.5: averages 0.5, 1.25, 2.125 over accumulated weights 0.5, 0.75, 0.875.
    const smoothed = emaSmooth([1, 2, 3], 0.5);
    expect(smoothed[0]).toBeCloseTo(1, 12);
    expect(smoothed[1]).toBeCloseTo(1.25 / 0.75, 12);
    expect(smoothed[2]).toBeCloseTo(2.125 / 0.875, 12);
  });

  it('keeps a constant series constant from the first point (no pull towards 0)', () => {
    for (const v of emaSmooth([4, 4, 4, 4], 0.9)) expect(v).toBeCloseTo(4, 12);
  });

  it('leaves values alone at weight 0 and lets non-finite values through without poisoning the rest', () => {
    expect(emaSmooth([3, 1, 2], 0)).toEqual([3, 1, 2]);
    const smoothed = emaSmooth([2, Number.NaN, 2], 0.6);
    expect(smoothed[1]).toBeNaN();
    expect(smoothed[2]).toBeCloseTo(2, 12);
  });
});

describe('ntXentChance', () => {
  it('is ln(2N − 1): a uniform guess among the 2N − 1 other views', () => {
    expect(ntXentChance(128)).toBeCloseTo(Math.log(255), 12);
    expect(ntXentChance(16)).toBeCloseTo(3.434, 4);
  });
});
