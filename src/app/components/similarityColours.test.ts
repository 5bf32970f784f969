import { describe, expect, it } from 'vitest';
import { offDiagonalRange, similarityColour } from './SimilarityView';

describe('similarity heatmap colours', () => {
  it('ranges over the off-diagonal cells only', () => {
    // 2x2 block with a diagonal of 1 and off-diagonal 0.2 / 0.6.
    expect(offDiagonalRange([1, 0.2, 0.6, 1], 2)).toEqual([0.2, 0.6]);
    expect(offDiagonalRange([1], 1)).toEqual([-1, 1]);
  });

  it('maps the ends of the scale to white and dark red and clamps outside', () => {
    expect(similarityColour(0)).toEqual([255, 255, 255]);
    expect(similarityColour(1)).toEqual([135, 30, 40]);
    expect(similarityColour(2)).toEqual(similarityColour(1));
  });
});
