import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ntXentLoss } from '../core/loss';
import { registerTrainingKernels } from './index';
import { relativeMaxDifference, startWasmBackendForTests } from '../testing/tfjsKernels';

/**
 * A tiny residual conv net with every op kind a SimCLR ResNet step uses: 3x3 stride-1 and stride-2
 * convs with symmetric numeric padding, a 1x1 stride-2 projection shortcut, batch norm on batch
 * moments, ReLU, global average pooling, a dense head with BN, and NT-Xent on two views.
 */
const shapes: Record<string, number[]> = {
  stem: [3, 3, 3, 5],
  conv1: [3, 3, 5, 6],
  conv2: [3, 3, 6, 6],
  shortcut: [1, 1, 5, 6],
  dense: [6, 7],
  gamma1: [6],
  beta1: [6],
  gamma2: [6],
  beta2: [6],
  gammaHead: [7],
  betaHead: [7],
};

function initialWeights(): Record<string, Float32Array> {
  return tf.tidy(() =>
    Object.fromEntries(
      Object.entries(shapes).map(([name, shape], i) => {
        const init = name.startsWith('gamma')
          ? tf.ones(shape)
          : name.startsWith('beta')
            ? tf.zeros(shape)
            : tf.randomNormal(shape, 0, Math.sqrt(2 / shape.slice(0, -1).reduce((a, b) => a * b, 1)), 'float32', i + 1);
        return [name, init.dataSync() as Float32Array];
      }),
    ),
  );
}

function batchNorm<T extends tf.Tensor>(x: T, gamma: tf.Tensor, beta: tf.Tensor): T {
  const axes = x.shape.map((_, i) => i).slice(0, -1);
  const { mean, variance } = tf.moments(x, axes);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), gamma), beta) as T;
}

function loss(v: Record<string, tf.Variable>, images: tf.Tensor4D): tf.Scalar {
  const k = (name: string) => v[name] as tf.Tensor4D;
  const stem = tf.relu(tf.conv2d(images, k('stem'), 1, 1));
  const a = tf.relu(batchNorm(tf.conv2d(stem, k('conv1'), 2, 1), v.gamma1, v.beta1));
  const b = batchNorm(tf.conv2d(a, k('conv2'), 1, 1), v.gamma2, v.beta2);
  const block = tf.relu(tf.add(b, tf.conv2d(stem, k('shortcut'), 2, 0)));
  const features = tf.mean(block, [1, 2]) as tf.Tensor2D;
  const z = batchNorm(tf.matMul(features, v.dense as tf.Tensor2D), v.gammaHead, v.betaHead) as tf.Tensor2D;
  const n = images.shape[0] / 2;
  return ntXentLoss(tf.slice(z, [0, 0], [n, -1]), tf.slice(z, [n, 0], [n, -1]), 0.5);
}

const images = () => tf.randomUniform([6, 9, 9, 3], 0, 1, 'float32', 42) as tf.Tensor4D;

function makeVariables(weights: Record<string, Float32Array>): Record<string, tf.Variable> {
  return Object.fromEntries(
    Object.entries(weights).map(([name, values]) => [name, tf.variable(tf.tensor(values, shapes[name]), true, `${name}_${Math.random()}`)]),
  );
}

async function gradientsOn(
  backendName: string,
  weights: Record<string, Float32Array>,
): Promise<{ loss: number; grads: Record<string, Float32Array> }> {
  await tf.setBackend(backendName);
  const v = makeVariables(weights);
  const x = images();
  const { value, grads } = tf.variableGrads(() => loss(v, x), Object.values(v));
  const out: Record<string, Float32Array> = {};
  for (const [name, variable] of Object.entries(v)) out[name] = (await grads[variable.name].data()) as Float32Array;
  const lossValue = (await value.data())[0];
  tf.dispose([value, x, ...Object.values(grads), ...Object.values(v)]);
  return { loss: lossValue, grads: out };
}

let weights: Record<string, Float32Array>;
let reference: { loss: number; grads: Record<string, Float32Array> };

beforeAll(async () => {
  await tf.setBackend('cpu');
  weights = initialWeights();
  // tfjs's own cpu kernels, before the project replaces anything.
  reference = await gradientsOn('cpu', weights);
  registerTrainingKernels('cpu');
  await startWasmBackendForTests();
  registerTrainingKernels('wasm');
});

describe('a conv-net training step with the project kernels', () => {
  it.each(['wasm', 'cpu'])('gives the stock cpu gradients on %s', async (backendName) => {
    const got = await gradientsOn(backendName, weights);
    expect(got.loss).toBeCloseTo(reference.loss, 4);
    for (const name of Object.keys(shapes)) {
      expect(relativeMaxDifference(got.grads[name], reference.grads[name]), name).toBeLessThan(1e-3);
    }
  });

  it('trains on wasm: the loss falls over a few SGD-momentum steps, tensors stay flat', async () => {
    await tf.setBackend('wasm');
    const v = makeVariables(weights);
    const x = images();
    const optimizer = tf.train.momentum(0.1, 0.9);
    const losses: number[] = [];
    let tensorsAfterFirstStep = 0;
    for (let step = 0; step < 8; step++) {
      const value = optimizer.minimize(() => loss(v, x), true, Object.values(v))!;
      losses.push((await value.data())[0]);
      value.dispose();
      if (step === 0) tensorsAfterFirstStep = tf.memory().numTensors;
    }
    expect(tf.memory().numTensors).toBe(tensorsAfterFirstStep);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[losses.length - 1]).toBeLessThan(losses[0] - 0.05);
    optimizer.dispose();
    tf.dispose([x, ...Object.values(v)]);
  });
});
