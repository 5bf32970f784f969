import * as tf from '@tensorflow/tfjs';
import type { Rng, RunConfig } from '../core';

/** The engine's augmentation module, as far as the explorer needs it. */
interface AugmentModule {
  pretrainAugmentOptions(config: RunConfig): unknown;
  twoViews(images: tf.Tensor4D, options: unknown, rng: Rng): unknown;
}

// Looked up by glob so the lab builds while the engine's augment module is being written.
const augmentModules = import.meta.glob<AugmentModule>('../core/augment.ts');

/**
 * The pretraining augmentation of `config`, applied twice to the same images: exactly the engine's
 * own code, so the explorer shows what the network will see.
 */
export async function augmentTwoViews(images: tf.Tensor4D, config: RunConfig, rng: Rng): Promise<[tf.Tensor4D, tf.Tensor4D]> {
  const load = Object.values(augmentModules)[0];
  if (!load) throw new Error('The engine has no augmentation module (src/core/augment.ts) yet.');
  const augment = await load();
  const views = augment.twoViews(images, augment.pretrainAugmentOptions(config), rng);
  const resolved = await Promise.resolve(views);
  if (Array.isArray(resolved)) return [resolved[0] as tf.Tensor4D, resolved[1] as tf.Tensor4D];
  const pair = resolved as { view1?: tf.Tensor4D; view2?: tf.Tensor4D };
  if (pair.view1 && pair.view2) return [pair.view1, pair.view2];
  throw new Error('twoViews returned neither [view1, view2] nor {view1, view2}');
}
