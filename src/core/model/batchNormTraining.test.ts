import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { relativeMaxDifference, startWasmBackendForTests } from '../../testing/tfjsKernels';
import { batchNormTraining } from './batchNormTraining';

const EPSILON = 1e-5;

/** The same batch norm composed from tfjs ops, differentiated by tfjs's tape. */
function composed(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D): tf.Tensor4D {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  return tf.batchNorm4d(x, mean as tf.Tensor1D, variance as tf.Tensor1D, beta, gamma, EPSILON);
}

function fused(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D): tf.Tensor4D {
  const { y, mean, variance } = batchNormTraining(x, gamma, beta, EPSILON);
  tf.dispose([mean, variance]);
  return y;
}

beforeAll(async () => {
  await startWasmBackendForTests();
  await tf.setBackend('cpu');
});

// wasm runs the XNNPack forms (pooled channel sums, depthwise affine maps); cpu the plain ops.
describe.each([
  ['conv activations', [4, 5, 3, 6], 'cpu'],
  ['conv activations', [4, 5, 3, 6], 'wasm'],
  ['dense activations as N×1×1×C', [7, 1, 1, 5], 'cpu'],
  ['dense activations as N×1×1×C', [7, 1, 1, 5], 'wasm'],
  ['channel count not divisible by 4, offset data', [3, 4, 4, 3], 'wasm'],
] as const)('batch norm with a closed-form gradient: %s on %s', (_label, shape, backend) => {
  it('gives the values and gradients of tf.moments + tf.batchNorm', async () => {
    await tf.setBackend(backend);
    tf.tidy(() => {
      const x = tf.add(tf.mul(tf.randomNormal([...shape], 0, 1, 'float32', 1), 3), 2) as tf.Tensor4D;
      const gamma = tf.randomNormal([shape[3]], 1, 0.5, 'float32', 2) as tf.Tensor1D;
      const beta = tf.randomNormal([shape[3]], 0, 1, 'float32', 3) as tf.Tensor1D;
      // A random upstream gradient: loss = Σ y·r.
      const r = tf.randomNormal([...shape], 0, 1, 'float32', 4);
      const gradients = (f: typeof fused) =>
        tf.grads((a, b, c) => tf.sum(tf.mul(f(a as tf.Tensor4D, b as tf.Tensor1D, c as tf.Tensor1D), r)));
      const expected = gradients(composed)([x, gamma, beta]);
      const actual = gradients(fused)([x, gamma, beta]);
      expect(relativeMaxDifference(fused(x, gamma, beta).dataSync(), composed(x, gamma, beta).dataSync())).toBeLessThan(1e-5);
      for (let i = 0; i < 3; i++) {
        expect(relativeMaxDifference(actual[i].dataSync(), expected[i].dataSync()), ['dx', 'dgamma', 'dbeta'][i]).toBeLessThan(1e-4);
      }
    });
  });
});

describe('batch norm statistics and memory', () => {
  it.each(['cpu', 'wasm'])('returns the biased batch moments and leaves no tensors behind (%s)', async (backend) => {
    await tf.setBackend(backend);
    const x = tf.randomNormal([6, 2, 2, 3], 0, 2, 'float32', 5) as tf.Tensor4D;
    const gamma = tf.ones([3]) as tf.Tensor1D;
    const beta = tf.zeros([3]) as tf.Tensor1D;
    const scale = tf.variable(gamma);
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(fused(x, scale as tf.Tensor1D, beta))), [scale]);
    tf.dispose([value, ...Object.values(grads)]);
    const { y, mean, variance } = batchNormTraining(x, gamma, beta, EPSILON);
    const values = x.arraySync().flat(2);
    for (let c = 0; c < 3; c++) {
      const column = values.map((pixel) => pixel[c]);
      const mu = column.reduce((a, b) => a + b, 0) / column.length;
      const v = column.reduce((a, b) => a + (b - mu) ** 2, 0) / column.length;
      expect(mean.dataSync()[c]).toBeCloseTo(mu, 5);
      expect(variance.dataSync()[c]).toBeCloseTo(v, 4);
    }
    tf.dispose([y, mean, variance]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
