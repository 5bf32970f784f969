import type * as tf from '@tensorflow/tfjs';
import type { Rng, RunConfig } from '../core';
import { pretrainAugmentOptions, twoViews } from '../core/augment';

/**
 * The pretraining augmentation of `config`, applied twice to the same images: exactly the engine's
 * own code, so the explorer shows what the network will see.
 */
export function augmentTwoViews(images: tf.Tensor4D, config: RunConfig, rng: Rng): [tf.Tensor4D, tf.Tensor4D] {
  return twoViews(images, pretrainAugmentOptions(config), rng);
}
