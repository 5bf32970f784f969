import * as tf from '@tensorflow/tfjs';
import { pretrainAugmentOptions } from '../augment';
import { ntXent, stopGradient } from '../loss';
import { supervisedHeadL2 } from '../optim';
import type { SimclrModel } from '../model';
import { scaledLearningRate, learningRateAt } from '../schedule';
import type { StageSummary } from '../types';
import { BatchPlan, STREAM, stepRng } from './batches';
import type { StageContext, StageResume } from './context';
import { mapImages, range } from './features';
import { trainingViews } from './views';
import { knnAccuracy } from './knn';
import { emitEmbedding, emitSimilarity } from './encoderViews';
import { createStageOptimizer, restoreOptimizer } from './optimizerState';
import { runStageLoop, summarizeStage } from './stageLoop';

/**
 * Contrastive pretraining: two augmented views per image, both through the encoder and projection
 * head together, the official NT-Xent objective over the 2N views, LARS (by default) with warm-up +
 * cosine decay. A k-NN monitor on encoder features of held-out images measures what the encoder has
 * learnt; when the model holds a linear probe (pretrain.linearProbe), it is trained on the
 * stop-gradient encoder features of the batch's labelled images (both views, as the official
 * lineareval_while_pretraining), standardised (`standardizeFeatures`), and its test accuracy is
 * reported beside k-NN.
 */
export async function pretrainStage(
  ctx: StageContext,
  model: SimclrModel,
  labelled: ArrayLike<number>,
  resume?: StageResume,
): Promise<StageSummary> {
  const { config, dataset } = ctx;
  const p = config.pretrain;
  const imageSize = config.dataset.imageSize;
  const plan = new BatchPlan(range(dataset.train.count), p.batchSize, config.seed, STREAM.pretrain);
  const steps = plan.stepsFor(p.epochs);
  const peak = scaledLearningRate(p.learningRate, plan.batchSize, p.learningRateScaling);
  const warmupSteps = Math.round(p.warmupEpochs * plan.stepsPerEpoch);
  const optimizer = createStageOptimizer(p.optimizer, { learningRate: peak, momentum: p.momentum, weightDecay: p.weightDecay });
  if (resume) await restoreOptimizer(optimizer, resume.optimizer, model);
  const augment = pretrainAugmentOptions(config);
  const viewSource = trainingViews(dataset.train, augment, 2);
  const variables = model.trainableVariables();
  let lastViews: [tf.Tensor4D, tf.Tensor4D] | null = null;
  const isLabelled = new Uint8Array(dataset.train.count);
  for (let i = 0; i < labelled.length; i++) isLabelled[labelled[i]] = 1;
  const numClasses = dataset.classNames.length;

  const evaluate = async (_epoch: number, step: number) => {
    const knnIndices = range(dataset.train.count);
    const testIndices = range(dataset.test.count);
    const encode = (images: tf.Tensor4D) => model.encode(images, false);
    const trainFeatures = await mapImages(dataset.train, knnIndices, imageSize, 256, encode);
    const testFeatures = await mapImages(dataset.test, testIndices, imageSize, 256, encode);
    try {
      const knn = await knnAccuracy(trainFeatures, dataset.train.labels, testFeatures, dataset.test.labels, {
        k: p.knnK,
        numClasses: dataset.classNames.length,
      });
      if (ctx.visualEverySteps > 0) await emitEmbedding(ctx, testFeatures, step);
      if (!model.hasLinearProbe) return { knnAccuracy: knn };
      return { knnAccuracy: knn, linearProbeAccuracy: await probeAccuracy(trainFeatures, testFeatures) };
    } finally {
      tf.dispose([trainFeatures, testFeatures]);
    }
  };

  /** Test accuracy of the probe, its input standardised by the statistics of the training split's features. */
  const probeAccuracy = async (trainFeatures: tf.Tensor2D, features: tf.Tensor2D): Promise<number> => {
    const predicted = tf.tidy(() => tf.argMax(model.probeLogits(standardizeFeatures(features, tf.moments(trainFeatures, 0))), 1));
    const values = await predicted.data();
    predicted.dispose();
    let correct = 0;
    for (let i = 0; i < values.length; i++) if (values[i] === dataset.test.labels[i]) correct++;
    return values.length > 0 ? correct / values.length : 0;
  };

  /** Mean cross-entropy of the probe over the labelled views of the batch (0 when there are none). */
  const probeLoss = (h: tf.Tensor2D, batch: number[]): tf.Scalar =>
    tf.tidy(() => {
      const both = [...batch, ...batch];
      const weights = tf.tensor1d(
        both.map((i) => isLabelled[i]),
        'float32',
      );
      // Unlabelled images' labels are never read: their weight is 0 and their target a dummy class 0.
      const targets = tf
        .oneHot(
          tf.tensor1d(
            both.map((i) => (isLabelled[i] ? dataset.train.labels[i] : 0)),
            'int32',
          ),
          numClasses,
        )
        .toFloat();
      const features = stopGradient(h) as tf.Tensor2D;
      const logits = model.probeLogits(standardizeFeatures(features, tf.moments(features, 0)));
      const perView = tf.neg(tf.sum(tf.mul(targets, tf.logSoftmax(logits)), 1));
      return tf.div(tf.sum(tf.mul(perView, weights)), tf.maximum(tf.sum(weights), 1)) as tf.Scalar;
    });

  const result = await runStageLoop({
    stage: 'pretrain',
    plan,
    totalSteps: steps,
    startStep: resume?.step ?? 0,
    imagesPerStep: 2 * plan.batchSize,
    emit: ctx.emit,
    control: ctx.control,
    shouldEvaluate: (epoch) => epoch % Math.max(1, Math.round(p.knnEveryEpochs)) === 0,
    evaluate,
    checkpoint: (step) => ctx.saveCheckpoint('pretrain', step, optimizer, model),
    prefetch: (next) => viewSource.prefetch(next),
    trainStep: async (step, batch) => {
      const learningRate = learningRateAt(step, { peak, warmupSteps, totalSteps: steps });
      optimizer.learningRate = learningRate;
      const views = await viewSource.read(batch, stepRng(config.seed, STREAM.pretrain, step));
      const kept: { loss?: tf.Scalar; accuracy?: tf.Scalar } = {};
      const objective = optimizer.minimize(
        () => {
          const h = model.encode(tf.concat(views), true);
          const z = model.project(h, true);
          const [z1, z2] = tf.split(z, 2);
          const terms = ntXent(z1 as tf.Tensor2D, z2 as tf.Tensor2D, p.temperature);
          kept.loss = tf.keep(terms.loss);
          kept.accuracy = tf.keep(terms.accuracy);
          // The official objective (2 × the per-anchor mean) is what is minimised; charts show the per-anchor mean.
          if (!model.hasLinearProbe) return terms.objective;
          // The probe sees stop-gradient features: its loss moves only the probe, never the encoder.
          const l2 = supervisedHeadL2(p.optimizer, p.weightDecay, variables);
          const withProbe = tf.add(terms.objective, probeLoss(h, batch));
          return (l2 ? tf.add(withProbe, l2) : withProbe) as tf.Scalar;
        },
        true,
        variables,
      );
      const [lossValue, accuracyValue] = await Promise.all([kept.loss!.data(), kept.accuracy!.data()]);
      tf.dispose([objective!, kept.loss!, kept.accuracy!]);
      if (lastViews) tf.dispose(lastViews);
      lastViews = ctx.visualEverySteps > 0 && (step + 1) % ctx.visualEverySteps === 0 ? views : null;
      if (!lastViews) tf.dispose(views);
      if (!Number.isFinite(lossValue[0]))
        throw new Error(`pretraining diverged at step ${step + 1}: loss is ${lossValue[0]} (try a lower learning rate)`);
      return { loss: lossValue[0], contrastiveAccuracy: accuracyValue[0], learningRate };
    },
    afterStep: async (step) => {
      if (!lastViews) return;
      const views = lastViews;
      lastViews = null;
      try {
        await emitSimilarity(ctx, model, views, step);
      } finally {
        tf.dispose(views);
      }
    },
  });
  if (lastViews) tf.dispose(lastViews);
  optimizer.dispose();
  return summarizeStage('pretrain', result, plan.stepsPerEpoch, ctx.backend, result.lastMetrics.knnAccuracy);
}

/** ε of the probe's input standardisation (dead ReLU features have zero variance and stay 0). */
const PROBE_STANDARDIZE_EPSILON = 1e-3;

/**
 * The linear probe's input: encoder features standardised per dimension, (h − mean) / √(variance + ε),
 * as a batch-norm layer without scale or offset — by the batch's statistics while training, by the
 * training split's when evaluating. The raw features of a short run change scale several-fold (‖h‖
 * grew 3.6 → 34 in 40 steps of examples/shapes-smoke.json) and share a large common component, so a
 * linear classifier on them at the contrastive learning rate diverged and never beat chance.
 */
export function standardizeFeatures(h: tf.Tensor2D, stats: { mean: tf.Tensor; variance: tf.Tensor }): tf.Tensor2D {
  return tf.tidy(() => tf.div(tf.sub(h, stats.mean), tf.sqrt(tf.add(stats.variance, PROBE_STANDARDIZE_EPSILON))) as tf.Tensor2D);
}
