import * as tf from '@tensorflow/tfjs';
import { BATCH_NORM_MOMENTUM, type Parameter } from '../model';
import type { DatasetSplit } from '../types';
import { readImages } from './features';

/**
 * At most this many training images feed the recomputed statistics. Enough batches for a stable
 * average (fvcore's PreciseBN default is 200 batches; a lab-scale network settles with far fewer),
 * few enough that an evaluation costs well under a training epoch of a small run.
 */
export const PRECISE_BN_IMAGES = 1024;

/** What the recomputation needs of a model: its variables and a training-mode forward pass. */
export interface BatchNormModel {
  parameters(): Parameter[];
}

/**
 * "Precise BN": replaces every batch-norm layer's moving statistics with the average of the
 * per-batch statistics of the current weights, measured by training-mode forward passes over
 * training images (no augmentation: the images as evaluation sees them, so no test image is used).
 *
 * Why: the moving averages (momentum 0.9) trail the weights; after a few dozen steps from scratch
 * they still hold much of their initial 0/1 values, and a network evaluated with them can give one
 * class to every image, its own training images included. Averaging over batches of the stage's
 * batch size keeps each layer's normalisation what training used. Each batch is measured alone:
 * the statistics are zeroed before its forward pass, so after it they hold (1 − momentum) × that
 * batch's statistics exactly.
 */
export async function recomputeBatchNormStatistics(
  model: BatchNormModel,
  forward: (images: tf.Tensor4D) => tf.Tensor,
  split: DatasetSplit,
  indices: ArrayLike<number>,
  imageSize: number,
  batchSize: number,
  maxImages = PRECISE_BN_IMAGES,
): Promise<void> {
  const statistics = model
    .parameters()
    .filter((p) => !p.trainable && /\/moving(Mean|Variance)$/.test(p.path))
    .map((p) => p.variable);
  const count = Math.min(indices.length, maxImages);
  if (statistics.length === 0 || count === 0) return;
  // Evenly spread over the images when capped (the indices' own order is kept, so it is deterministic).
  const stride = indices.length / count;
  const chosen = Array.from({ length: count }, (_, i) => indices[Math.floor(i * stride)]);
  const size = Math.max(2, Math.min(batchSize, count));
  const sums: tf.Tensor[] = statistics.map((v) => tf.zerosLike(v as tf.Tensor));
  let weight = 0;
  try {
    for (let start = 0; start < count; start += size) {
      // A trailing batch of one image has no variance to measure: fold it into the previous one.
      let end = Math.min(start + size, count);
      if (count - end === 1) end = count;
      const images = await readImages(split, chosen.slice(start, end), imageSize);
      tf.tidy(() => statistics.forEach((v) => v.assign(tf.zerosLike(v))));
      tf.dispose(tf.tidy(() => forward(images)));
      images.dispose();
      const n = end - start;
      for (let i = 0; i < statistics.length; i++) {
        const next = tf.tidy(() => tf.add(sums[i], tf.mul(statistics[i], n / (1 - BATCH_NORM_MOMENTUM))));
        sums[i].dispose();
        sums[i] = next;
      }
      weight += n;
      if (end === count) break;
    }
    tf.tidy(() => statistics.forEach((v, i) => v.assign(tf.div(sums[i], weight))));
  } finally {
    tf.dispose(sums);
  }
}
