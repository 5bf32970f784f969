import * as tf from '@tensorflow/tfjs';
import { pretrainAugmentOptions } from '../augment';
import { similarityMatrix } from '../loss';
import type { SimclrModel } from '../model';
import type { StageContext } from './context';
import { STREAM, stepRng } from './batches';
import { mapImages, range } from './features';
import { pca2d } from './pca';
import { trainingViews } from './views';

/** Test images shown in the embedding view, and the most views shown in the similarity heatmap. */
export const EMBEDDING_POINTS = 500;
export const SIMILARITY_IMAGES = 16;

/** Emits the embedding view of `testFeatures` (its first EMBEDDING_POINTS rows, PCA to 2-D). */
export async function emitEmbedding(ctx: StageContext, testFeatures: tf.Tensor2D, step: number): Promise<void> {
  const shown = Math.min(EMBEDDING_POINTS, testFeatures.shape[0]);
  const subset = tf.slice(testFeatures, [0, 0], [shown, -1]);
  const points = await pca2d(subset);
  subset.dispose();
  ctx.emit({
    type: 'embedding',
    time: Date.now(),
    stage: 'pretrain',
    step,
    points,
    labels: Array.from(ctx.dataset.test.labels.slice(0, shown)),
  });
}

/** Emits the similarity heatmap of two views of (up to SIMILARITY_IMAGES of) a batch, in eval mode. */
export async function emitSimilarity(
  ctx: StageContext,
  model: SimclrModel,
  views: [tf.Tensor4D, tf.Tensor4D],
  step: number,
): Promise<void> {
  const shown = Math.min(SIMILARITY_IMAGES, views[0].shape[0]);
  const matrix = tf.tidy(() => {
    const both = tf.concat([tf.slice(views[0], 0, shown), tf.slice(views[1], 0, shown)]);
    const z = model.project(model.encode(both, false), false);
    const [z1, z2] = tf.split(z, 2);
    return similarityMatrix(z1 as tf.Tensor2D, z2 as tf.Tensor2D);
  });
  const values = Array.from(await matrix.data());
  matrix.dispose();
  ctx.emit({
    type: 'similarity',
    time: Date.now(),
    stage: 'pretrain',
    step,
    size: 2 * shown,
    values,
    contrastiveAccuracy: positiveIsNearest(values, shown),
  });
}

/**
 * What the live views show of an encoder that was loaded rather than trained here: the embedding of
 * the first test images and the similarity of two augmented views of the first training images,
 * computed once, right after loading (step 0), so they appear without any pretraining.
 */
export async function emitEncoderViews(ctx: StageContext, model: SimclrModel): Promise<void> {
  const { config, dataset } = ctx;
  const imageSize = config.dataset.imageSize;
  const testFeatures = await mapImages(dataset.test, range(Math.min(EMBEDDING_POINTS, dataset.test.count)), imageSize, 256, (images) =>
    model.encode(images, false),
  );
  try {
    await emitEmbedding(ctx, testFeatures, 0);
  } finally {
    testFeatures.dispose();
  }
  const batch = range(Math.min(SIMILARITY_IMAGES, dataset.train.count));
  const views = await trainingViews(dataset.train, pretrainAugmentOptions(config), 2).read(batch, stepRng(config.seed, STREAM.visual, 0));
  try {
    await emitSimilarity(ctx, model, views, 0);
  } finally {
    tf.dispose(views);
  }
}

/**
 * Contrastive accuracy of a 2n×2n similarity matrix ordered [view 1; view 2], the official way:
 * each view-1 row against the n view-2 columns.
 */
export function positiveIsNearest(values: number[], n: number): number {
  const size = 2 * n;
  let correct = 0;
  for (let row = 0; row < n; row++) {
    let best = -1;
    let bestValue = -Infinity;
    for (let col = n; col < size; col++) {
      if (values[row * size + col] > bestValue) {
        bestValue = values[row * size + col];
        best = col;
      }
    }
    if (best === row + n) correct++;
  }
  return correct / n;
}
