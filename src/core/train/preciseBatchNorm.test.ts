import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectNodeBackend } from '../../node/nodeBackends';
import { createShapesDataset } from '../data/shapes';
import { Classifier, type ModelSpec } from '../model';
import { createOptimizer } from '../optim';
import { softmaxCrossEntropy } from '../loss';
import { classifierAccuracy } from './classify';
import { range, readImages } from './features';
import { recomputeBatchNormStatistics } from './preciseBatchNorm';

const spec: ModelSpec = { depth: 18, widthMultiplier: 0.125, skRatio: 0, imageSize: 16, projectionLayers: 1, projectionDim: 16 };

beforeAll(async () => {
  await selectNodeBackend('wasm');
});

/** Distinct classes among eval-mode predictions on `indices`. */
async function predictedClasses(classifier: Classifier, split: Parameters<typeof readImages>[0], indices: number[]): Promise<number> {
  const images = await readImages(split, indices, 16);
  const predicted = tf.tidy(() => tf.argMax(classifier.logits(images, false), 1));
  const values = Array.from(await predicted.data());
  tf.dispose([images, predicted]);
  return new Set(values).size;
}

describe('precise BN (recomputeBatchNormStatistics)', () => {
  it('with one batch of exactly the evaluated images, eval-mode logits equal training-mode logits', async () => {
    const data = createShapesDataset({ trainSize: 48, testSize: 8, imageSize: 16, seed: 2 });
    const classifier = Classifier.fromScratch(spec, 1, 10, 5);
    const images = await readImages(data.train, range(48), 16);
    const training = classifier.logits(images, true);
    const before = tf.memory().numTensors;
    await recomputeBatchNormStatistics(classifier, (x) => classifier.logits(x, true), data.train, range(48), 16, 48);
    expect(tf.memory().numTensors).toBe(before);
    const evaluation = classifier.logits(images, false);
    const gap = tf.tidy(() => tf.max(tf.abs(tf.sub(training, evaluation))).dataSync()[0]);
    const scale = tf.tidy(() => tf.max(tf.abs(training)).dataSync()[0]);
    expect(gap).toBeLessThan(1e-3 * Math.max(1, scale));
    tf.dispose([images, training, evaluation]);
    classifier.dispose();
  });

  it('a from-scratch classifier after a few dozen steps: test accuracy follows train accuracy, no single-class collapse', async () => {
    const data = createShapesDataset({ trainSize: 320, testSize: 160, imageSize: 16, seed: 4 });
    const classifier = Classifier.fromScratch(spec, 1, 10, 9);
    const optimizer = createOptimizer('sgd', { learningRate: 0.1, momentum: 0.9 });
    const variables = classifier.trainableVariables();
    const batchSize = 32;
    const trainAccuracies: number[] = [];
    for (let step = 0; step < 60; step++) {
      const batch = range(batchSize).map((i) => (step * batchSize + i) % data.train.count);
      const images = await readImages(data.train, batch, 16);
      const labels = tf.tensor1d(
        batch.map((i) => data.train.labels[i]),
        'int32',
      );
      const kept: { accuracy?: tf.Scalar } = {};
      tf.dispose(
        optimizer.minimize(
          () => {
            const logits = classifier.logits(images, true);
            kept.accuracy = tf.keep(tf.mean(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'float32')) as tf.Scalar);
            return softmaxCrossEntropy(logits, labels);
          },
          true,
          variables,
        ) ?? [],
      );
      trainAccuracies.push((await kept.accuracy!.data())[0]);
      tf.dispose([images, labels, kept.accuracy!]);
    }
    const train = trainAccuracies.slice(-10).reduce((a, b) => a + b, 0) / 10;
    expect(train).toBeGreaterThan(0.2);
    const seen = range(320);
    const stale = {
      test: await classifierAccuracy(classifier, data.test, 16),
      train: await classifierAccuracy(classifier, data.train, 16, seen),
      classes: await predictedClasses(classifier, data.test, range(160)),
    };

    await recomputeBatchNormStatistics(classifier, (x) => classifier.logits(x, true), data.train, range(320), 16, batchSize);
    const test = await classifierAccuracy(classifier, data.test, 16);
    const trainEval = await classifierAccuracy(classifier, data.train, 16, seen);
    const classes = await predictedClasses(classifier, data.test, range(160));
    // With statistics of the current weights, the network is judged by what it has learnt: its
    // accuracy on the images it trained on matches its training accuracy, and test predictions
    // spread over the classes well above chance (10%).
    // (Measured here with the official ResNet-18, 60 steps: running train accuracy 0.48; on those
    // images 0.34 with the trailing statistics, 0.57 after; test 0.17 → 0.19, 10 classes predicted.)
    expect(trainEval).toBeGreaterThan(train - 0.1);
    expect(trainEval).toBeGreaterThan(stale.train + 0.1);
    expect(classes).toBeGreaterThanOrEqual(4);
    expect(test).toBeGreaterThan(0.15);
    optimizer.dispose();
    classifier.dispose();
  }, 300_000);
});
