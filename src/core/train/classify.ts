import * as tf from '@tensorflow/tfjs';
import { finetuneAugmentOptions } from '../augment';
import type { StageName } from '../config';
import { softmaxCrossEntropy } from '../loss';
import type { Classifier } from '../model';
import { learningRateAt } from '../schedule';
import type { DatasetSplit, StageSummary } from '../types';
import { BatchPlan, STREAM, stepRng } from './batches';
import type { StageContext, StageResume } from './context';
import { mapImages, range } from './features';
import { supervisedHeadL2 } from '../optim';
import { trainingViews } from './views';
import { createStageOptimizer, restoreOptimizer } from './optimizerState';
import { recomputeBatchNormStatistics } from './preciseBatchNorm';
import { runStageLoop, summarizeStage } from './stageLoop';

/** Top-1 accuracy of `classifier` (eval mode) on the images `indices` of `split`. */
export async function classifierAccuracy(
  classifier: Classifier,
  split: DatasetSplit,
  imageSize: number,
  indices: ArrayLike<number> = range(split.count),
): Promise<number> {
  if (indices.length === 0) return 0;
  const predictions = await mapImages(
    split,
    indices,
    imageSize,
    256,
    (images) => tf.cast(tf.expandDims(tf.argMax(classifier.logits(images, false), 1), 1), 'float32') as tf.Tensor2D,
  );
  const predicted = await predictions.data();
  predictions.dispose();
  let correct = 0;
  for (let i = 0; i < indices.length; i++) if (predicted[i] === split.labels[indices[i]]) correct++;
  return correct / indices.length;
}

export function batchLabels(split: DatasetSplit, batch: number[]): tf.Tensor1D {
  return tf.tensor1d(
    batch.map((i) => split.labels[i]),
    'int32',
  );
}

/**
 * Top-1 test accuracy after "precise BN" (see recomputeBatchNormStatistics): the moving statistics
 * are first recomputed for the current weights over the stage's training images, so a classifier
 * a few dozen steps from scratch is not judged by statistics that still hold their initial values.
 */
export async function evaluateClassifier(
  classifier: Classifier,
  train: DatasetSplit,
  trainIndices: ArrayLike<number>,
  test: DatasetSplit,
  imageSize: number,
  batchSize: number,
): Promise<number> {
  await recomputeBatchNormStatistics(classifier, (images) => classifier.logits(images, true), train, trainIndices, imageSize, batchSize);
  return classifierAccuracy(classifier, test, imageSize);
}

/**
 * Supervised training of a classifier on the labelled subset with crop + flip augmentation:
 * fine-tuning (from the pretrained encoder) and the supervised-only baseline (from scratch) share it.
 * `finetune.mode = 'linear'` (fine-tuning only; the baseline always trains fully) freezes the
 * encoder and the kept head layers, features in inference mode, and trains the linear layer alone,
 * as the official fine_tune_after_block=4 (whose frozen Keras layers also run BN in inference mode).
 */
export async function classifierStage(
  ctx: StageContext,
  stage: Extract<StageName, 'finetune' | 'baseline'>,
  classifier: Classifier,
  labelled: Int32Array,
  resume?: StageResume,
): Promise<StageSummary> {
  const { config, dataset } = ctx;
  const f = config.finetune;
  const imageSize = config.dataset.imageSize;
  const plan = new BatchPlan(labelled, f.batchSize, config.seed, stage === 'finetune' ? STREAM.finetune : STREAM.baseline);
  const steps = plan.stepsFor(f.epochs);
  const optimizer = createStageOptimizer(f.optimizer, { learningRate: f.learningRate, momentum: f.momentum, weightDecay: f.weightDecay });
  if (resume) await restoreOptimizer(optimizer, resume.optimizer, classifier);
  const viewSource = trainingViews(dataset.train, finetuneAugmentOptions(config), 1);
  const linear = stage === 'finetune' && f.mode === 'linear';
  const variables = linear ? classifier.linearVariables() : classifier.trainableVariables();

  const result = await runStageLoop({
    stage,
    plan,
    totalSteps: steps,
    startStep: resume?.step ?? 0,
    imagesPerStep: plan.batchSize,
    emit: ctx.emit,
    control: ctx.control,
    checkpoint: (step) => ctx.saveCheckpoint(stage, step, optimizer, classifier),
    // Linear evaluation keeps the frozen statistics (recomputing them would change the frozen network).
    evaluate: async () => ({
      testAccuracy: linear
        ? await classifierAccuracy(classifier, dataset.test, imageSize)
        : await evaluateClassifier(classifier, dataset.train, labelled, dataset.test, imageSize, plan.batchSize),
    }),
    prefetch: (next) => viewSource.prefetch(next),
    trainStep: async (step, batch) => {
      const learningRate = learningRateAt(step, { peak: f.learningRate, warmupSteps: 0, totalSteps: steps });
      optimizer.learningRate = learningRate;
      const [views] = await viewSource.read(batch, stepRng(config.seed, stage === 'finetune' ? STREAM.finetune : STREAM.baseline, step));
      const labels = batchLabels(dataset.train, batch);
      // Frozen features are computed outside the tape: nothing of the encoder is recorded or moved.
      const frozen = linear ? classifier.features(views, false) : null;
      const kept: { accuracy?: tf.Scalar; loss?: tf.Scalar } = {};
      const total = optimizer.minimize(
        () => {
          const logits = frozen ? classifier.logitsFromFeatures(frozen) : classifier.logits(views, true);
          kept.accuracy = tf.keep(tf.mean(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'float32')) as tf.Scalar);
          const loss = tf.keep(softmaxCrossEntropy(logits, labels));
          kept.loss = loss;
          // LARS leaves the classifier out of its decay; official run.py adds it to the loss instead.
          const l2 = supervisedHeadL2(f.optimizer, f.weightDecay, variables);
          return l2 ? tf.add(loss, l2) : loss;
        },
        true,
        variables,
      );
      const [lossValue, accuracyValue] = await Promise.all([kept.loss!.data(), kept.accuracy!.data()]);
      tf.dispose([total!, kept.loss!, kept.accuracy!, views, labels, ...(frozen ? [frozen] : [])]);
      if (!Number.isFinite(lossValue[0]))
        throw new Error(`${stage} diverged at step ${step + 1}: loss is ${lossValue[0]} (try a lower learning rate)`);
      return { loss: lossValue[0], trainAccuracy: accuracyValue[0], learningRate };
    },
  });
  optimizer.dispose();
  return summarizeStage(stage, result, plan.stepsPerEpoch, ctx.backend, result.lastMetrics.testAccuracy, labelled.length);
}
