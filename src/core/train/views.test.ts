import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AugmentOptions } from '../augment';
import { Rng } from '../random';
import type { DatasetSplit, RandomCropRequest } from '../types';
import { trainingViews } from './views';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const size = 4;
const bytesPerImage = size * size * 3;
/** Crop + flip only, so what the engine does to a view can be read off exactly. */
const cropAndFlip: AugmentOptions = {
  imageSize: size,
  cropMinArea: 0.3,
  flip: true,
  colorJitterStrength: 0,
  colorJitterProbability: 0,
  grayscaleProbability: 0,
  blurProbability: 0,
};

/** A split whose image i is filled with i·10 + 1, and, if it crops on read, view v with i·10 + v + 2. */
function fakeSplit(cropsOnRead: boolean) {
  const calls: { readBatch: number[][]; crops: [number[], RandomCropRequest][]; prefetch: [number[], RandomCropRequest | undefined][] } = {
    readBatch: [],
    crops: [],
    prefetch: [],
  };
  const fill = (indices: ArrayLike<number>, value: (i: number) => number) => {
    const out = new Uint8Array(indices.length * bytesPerImage);
    Array.from(indices).forEach((i, k) => out.fill(value(i), k * bytesPerImage, (k + 1) * bytesPerImage));
    return out;
  };
  const split: DatasetSplit = {
    count: 10,
    labels: new Int32Array(10),
    imageSize: size,
    readBatch: async (indices) => {
      calls.readBatch.push(Array.from(indices));
      return fill(indices, (i) => i * 10 + 1);
    },
    prefetch: (indices, crops) => calls.prefetch.push([Array.from(indices), crops]),
    ...(cropsOnRead
      ? {
          readRandomCrops: async (indices: ArrayLike<number>, crops: RandomCropRequest) => {
            calls.crops.push([Array.from(indices), crops]);
            return Array.from({ length: crops.views }, (_, v) => fill(indices, (i) => i * 10 + v + 2));
          },
        }
      : {}),
  };
  return { split, calls };
}

describe('trainingViews', () => {
  it('takes one crop per view from a split that crops on read, and does not crop again', async () => {
    const { split, calls } = fakeSplit(true);
    const source = trainingViews(split, cropAndFlip, 2);
    source.prefetch([3, 4]);
    expect(calls.prefetch).toEqual([[[3, 4], { views: 2, minArea: 0.3 }]]);
    const before = tf.memory().numTensors;
    const views = await source.read([3, 4], new Rng(1));
    expect(calls.crops).toEqual([[[3, 4], { views: 2, minArea: 0.3 }]]);
    expect(calls.readBatch).toEqual([]);
    expect(views).toHaveLength(2);
    // Constant images stay constant under flip: each view is exactly its own crop.
    for (const [v, view] of views.entries()) {
      expect(view.shape).toEqual([2, size, size, 3]);
      const values = view.dataSync();
      for (const [k, index] of [3, 4].entries()) {
        const expected = (index * 10 + v + 2) / 255;
        for (let p = 0; p < bytesPerImage; p++) expect(values[k * bytesPerImage + p]).toBeCloseTo(expected, 6);
      }
    }
    tf.dispose(views);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('leaves a ramp untouched but for the flip when the split has cropped it', async () => {
    const ramp = Uint8Array.from({ length: bytesPerImage }, (_, i) => 20 * (Math.floor(i / 3) % size)); // red/green/blue = 20·x
    const split: DatasetSplit = {
      count: 1,
      labels: new Int32Array(1),
      imageSize: size,
      readBatch: async () => ramp,
      readRandomCrops: async (_indices, crops) => Array.from({ length: crops.views }, () => ramp),
    };
    const source = trainingViews(split, cropAndFlip, 1);
    const rows: number[][] = [];
    for (let seed = 0; seed < 8; seed++) {
      const [view] = await source.read([0], new Rng(seed));
      rows.push(
        Array.from(view.dataSync())
          .filter((_, i) => i % 3 === 0)
          .slice(0, size)
          .map((v) => Math.round(v * 255)),
      );
      view.dispose();
    }
    // Without a second crop each row is the ramp itself or its mirror image, and both occur.
    for (const row of rows)
      expect([
        [0, 20, 40, 60],
        [60, 40, 20, 0],
      ]).toContainEqual(row);
    expect(new Set(rows.map((r) => r[0]))).toEqual(new Set([0, 60]));
  });

  it('crops in the engine when the split only reads whole images', async () => {
    const { split, calls } = fakeSplit(false);
    const source = trainingViews(split, cropAndFlip, 2);
    source.prefetch([1]);
    expect(calls.prefetch).toEqual([[[1], undefined]]);
    const views = await source.read([1, 2], new Rng(1));
    expect(calls.readBatch).toEqual([[1, 2]]);
    expect(views).toHaveLength(2);
    expect(views[0].shape).toEqual([2, size, size, 3]);
    tf.dispose(views);
  });
});
