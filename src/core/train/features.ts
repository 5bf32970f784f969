import * as tf from '@tensorflow/tfjs';
import { toFloatBatch } from '../data/tensor';
import type { DatasetSplit } from '../types';

/** Reads images `indices` of `split` as a float [0,1] NHWC batch at `imageSize`. */
export async function readImages(split: DatasetSplit, indices: ArrayLike<number>, imageSize: number): Promise<tf.Tensor4D> {
  const bytes = await split.readBatch(indices);
  return toFloatBatch(bytes, indices.length, split.imageSize, imageSize);
}

/**
 * Applies `fn` (eval mode, no gradients) to the images at `indices` in chunks and concatenates the
 * results; only the output stays allocated.
 */
export async function mapImages(
  split: DatasetSplit,
  indices: ArrayLike<number>,
  imageSize: number,
  chunkSize: number,
  fn: (images: tf.Tensor4D) => tf.Tensor2D,
): Promise<tf.Tensor2D> {
  const parts: tf.Tensor2D[] = [];
  try {
    for (let start = 0; start < indices.length; start += chunkSize) {
      const chunk = Array.from({ length: Math.min(chunkSize, indices.length - start) }, (_, i) => indices[start + i]);
      const images = await readImages(split, chunk, imageSize);
      parts.push(tf.tidy(() => fn(images)));
      images.dispose();
    }
    return parts.length === 1 ? parts[0] : tf.tidy(() => tf.concat(parts));
  } finally {
    if (parts.length > 1) tf.dispose(parts);
  }
}

export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
