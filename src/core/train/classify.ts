import * as tf from '@tensorflow/tfjs';
import { augmentBatch, finetuneAugmentOptions } from '../augment';
import type { StageName } from '../config';
import { softmaxCrossEntropy } from '../loss';
import type { Classifier } from '../model';
import { learningRateAt } from '../schedule';
import type { DatasetSplit, StageSummary } from '../types';
import { BatchPlan, STREAM, stepRng } from './batches';
import type { StageContext, StageResume } from './context';
import { mapImages, range, readImages } from './features';
import { createStageOptimizer, restoreOptimizer } from './optimizerState';
import { setLearningRate } from './pretrain';
import { runStageLoop, summarizeStage } from './stageLoop';

/** Top-1 accuracy of `classifier` (eval mode) on the images `indices` of `split`. */
export async function classifierAccuracy(classifier: Classifier, split: DatasetSplit, imageSize: number, indices: ArrayLike<number> = range(split.count)): Promise<number> {
  if (indices.length === 0) return 0;
  const predictions = await mapImages(split, indices, imageSize, 256, (images) => tf.cast(tf.expandDims(tf.argMax(classifier.logits(images, false), 1), 1), 'float32') as tf.Tensor2D);
  const predicted = await predictions.data();
  predictions.dispose();
  let correct = 0;
  for (let i = 0; i < indices.length; i++) if (predicted[i] === split.labels[indices[i]]) correct++;
  return correct / indices.length;
}

export function batchLabels(split: DatasetSplit, batch: number[]): tf.Tensor1D {
  return tf.tensor1d(batch.map((i) => split.labels[i]), 'int32');
}

/**
 * Supervised training of a classifier on the labelled subset with crop + flip augmentation:
 * fine-tuning (from the pretrained encoder) and the supervised-only baseline (from scratch) share it.
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
  const augment = finetuneAugmentOptions(config);
  const variables = classifier.trainableVariables();

  const result = await runStageLoop({
    stage,
    plan,
    totalSteps: steps,
    startStep: resume?.step ?? 0,
    imagesPerStep: plan.batchSize,
    emit: ctx.emit,
    control: ctx.control,
    checkpoint: (step) => ctx.saveCheckpoint(stage, step, optimizer, classifier),
    evaluate: async () => ({ testAccuracy: await classifierAccuracy(classifier, dataset.test, imageSize) }),
    prefetch: (next) => dataset.train.prefetch?.(next),
    trainStep: async (step, batch) => {
      const learningRate = learningRateAt(step, { peak: f.learningRate, warmupSteps: 0, totalSteps: steps });
      setLearningRate(optimizer, learningRate);
      const images = await readImages(dataset.train, batch, imageSize);
      const views = augmentBatch(images, augment, stepRng(config.seed, stage === "finetune" ? STREAM.finetune : STREAM.baseline, step));
      images.dispose();
      const labels = batchLabels(dataset.train, batch);
      const kept: { accuracy?: tf.Scalar } = {};
      const loss = optimizer.minimize(
        () => {
          const logits = classifier.logits(views, true);
          kept.accuracy = tf.keep(tf.mean(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'float32')) as tf.Scalar);
          return softmaxCrossEntropy(logits, labels);
        },
        true,
        variables,
      );
      const [lossValue, accuracyValue] = await Promise.all([loss!.data(), kept.accuracy!.data()]);
      tf.dispose([loss!, kept.accuracy!, views, labels]);
      if (!Number.isFinite(lossValue[0])) throw new Error(`${stage} diverged at step ${step + 1}: loss is ${lossValue[0]} (try a lower learning rate)`);
      return { loss: lossValue[0], trainAccuracy: accuracyValue[0], learningRate };
    },
  });
  optimizer.dispose();
  return summarizeStage(stage, result, plan.stepsPerEpoch, ctx.backend, result.lastMetrics.testAccuracy, labelled.length);
}
