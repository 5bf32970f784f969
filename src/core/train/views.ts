import type * as tf from '@tensorflow/tfjs';
import { type AugmentOptions, augmentBatch, twoViews } from '../augment';
import { toFloatBatch } from '../data/tensor';
import type { Rng } from '../random';
import type { DatasetSplit, RandomCropRequest } from '../types';
import { readImages } from './features';

/**
 * Where a training stage gets its augmented views. Splits that crop on read (the ImageNet loader:
 * DatasetSplit.readRandomCrops) give each view its own random resized crop of the full-resolution
 * image, as the official pipeline; the engine then flips, colours and blurs without cropping again.
 * Other splits hold images at their input size and the engine crops them itself.
 */
export type ViewTuple<N extends 1 | 2> = N extends 2 ? [tf.Tensor4D, tf.Tensor4D] : [tf.Tensor4D];

export interface TrainingViews<N extends 1 | 2> {
  /** Tell the split which images the next step reads (disk loaders decode them early). */
  prefetch(batch: number[]): void;
  /** `count` augmented views of the batch, each [n, imageSize, imageSize, 3]; the caller disposes them. */
  read(batch: number[], rng: Rng): Promise<ViewTuple<N>>;
}

export function trainingViews<N extends 1 | 2>(split: DatasetSplit, augment: AugmentOptions, count: N): TrainingViews<N> {
  const imageSize = augment.imageSize;
  if (split.readRandomCrops) {
    const readCrops = split.readRandomCrops.bind(split);
    const request: RandomCropRequest = { views: count, minArea: augment.cropMinArea };
    const precropped: AugmentOptions = { ...augment, crop: false };
    return {
      prefetch: (batch) => split.prefetch?.(batch, request),
      read: async (batch, rng) => {
        const buffers = await readCrops(batch, request);
        if (buffers.length !== count) throw new Error(`the split returned ${buffers.length} crops per image, expected ${count}`);
        return buffers.map((bytes) => {
          const images = toFloatBatch(bytes, batch.length, split.imageSize, imageSize);
          const views = augmentBatch(images, precropped, rng);
          images.dispose();
          return views;
        }) as ViewTuple<N>;
      },
    };
  }
  return {
    prefetch: (batch) => split.prefetch?.(batch),
    read: async (batch, rng) => {
      const images = await readImages(split, batch, imageSize);
      try {
        return (count === 2 ? twoViews(images, augment, rng) : [augmentBatch(images, augment, rng)]) as ViewTuple<N>;
      } finally {
        images.dispose();
      }
    },
  };
}
