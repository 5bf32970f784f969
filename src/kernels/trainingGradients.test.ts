import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerTrainingGradients } from './trainingGradients';
import { relativeMaxDifference } from '../testing/tfjsKernels';

type Inputs = Record<string, tf.Tensor>;
interface GradientCase {
  name: string;
  inputs: () => Inputs;
  /** A scalar function of the inputs; weighted sums so every output element matters differently. */
  f: (v: Inputs) => tf.Scalar;
}

const weighted = (y: tf.Tensor, seed: number) => tf.sum(tf.mul(y, tf.randomNormal(y.shape, 0, 1, 'float32', seed))) as tf.Scalar;
const normal = (shape: number[], seed: number, mean = 0) => tf.randomNormal(shape, mean, 1, 'float32', seed);

const cases: GradientCase[] = [
  {
    name: 'batch norm on batch moments (the training path), 4-D, 5 channels',
    inputs: () => ({ x: normal([3, 4, 4, 5], 1, 0.5), gamma: normal([5], 2, 1), beta: normal([5], 3) }),
    f: ({ x, gamma, beta }) => {
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      return weighted(
        tf.batchNorm4d(x as tf.Tensor4D, mean as tf.Tensor1D, variance as tf.Tensor1D, beta as tf.Tensor1D, gamma as tf.Tensor1D, 1e-5),
        4,
      );
    },
  },
  {
    // (tfjs cannot differentiate a batch norm without scale or offset at all: its tape trips over
    // the undefined input, so every case passes both.)
    name: 'batch norm, 2-D features as N×1×1×C',
    inputs: () => ({ x: normal([6, 1, 1, 7], 5), gamma: normal([7], 21, 1), beta: normal([7], 6) }),
    f: ({ x, gamma, beta }) => {
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      return weighted(
        tf.batchNorm4d(x as tf.Tensor4D, mean as tf.Tensor1D, variance as tf.Tensor1D, beta as tf.Tensor1D, gamma as tf.Tensor1D, 1e-3),
        7,
      );
    },
  },
  {
    name: 'mean over the spatial axes (global pooling)',
    inputs: () => ({ x: normal([2, 4, 5, 3], 13) }),
    f: ({ x }) => weighted(tf.mean(x, [1, 2]), 14),
  },
  { name: 'mean over everything', inputs: () => ({ x: normal([3, 5], 15) }), f: ({ x }) => tf.mean(tf.square(x)) as tf.Scalar },
  {
    name: 'mean with keepDims, negative axis',
    inputs: () => ({ x: normal([3, 5, 2], 16) }),
    f: ({ x }) => weighted(tf.mean(x, -1, true), 17),
  },
  { name: 'sum over the batch axis', inputs: () => ({ x: normal([4, 6], 18) }), f: ({ x }) => weighted(tf.sum(x, 0), 19) },
  { name: 'sum over everything', inputs: () => ({ x: normal([2, 3, 4], 20) }), f: ({ x }) => tf.sum(tf.exp(x)) as tf.Scalar },
];

function gradients(c: GradientCase): { value: number; grads: Record<string, Float32Array> } {
  return tf.tidy(() => {
    const inputs = c.inputs();
    const names = Object.keys(inputs);
    const { value, grads } = tf.valueAndGrads((...xs: tf.Tensor[]) => c.f(Object.fromEntries(names.map((n, i) => [n, xs[i]]))))(
      names.map((n) => inputs[n]),
    );
    return {
      value: value.dataSync()[0],
      grads: Object.fromEntries(names.map((n, i) => [n, grads[i].dataSync() as Float32Array])),
    };
  });
}

const stock = new Map<string, ReturnType<typeof gradients>>();

beforeAll(async () => {
  await tf.setBackend('cpu');
  for (const c of cases) stock.set(c.name, gradients(c));
  registerTrainingGradients();
});

describe('registered training gradients', () => {
  it.each(cases.map((c) => [c.name, c] as const))('equal the stock tfjs gradients: %s', (_name, c) => {
    const before = tf.memory().numTensors;
    const got = gradients(c);
    expect(tf.memory().numTensors).toBe(before);
    const expected = stock.get(c.name)!;
    expect(got.value).toBeCloseTo(expected.value, 5);
    for (const input of Object.keys(expected.grads)) {
      expect(relativeMaxDifference(got.grads[input], expected.grads[input]), input).toBeLessThan(2e-5);
    }
  });

  it('handle keep-dims (rank-4) statistics, where the stock batch-norm gradient throws', () => {
    const x = normal([2, 3, 3, 4], 8);
    const m = normal([1, 1, 1, 4], 9);
    const v = tf.abs(normal([1, 1, 1, 4], 10, 1));
    const gamma = normal([1, 1, 1, 4], 11, 1);
    const beta = normal([1, 1, 1, 4], 22);
    const w = normal([2, 3, 3, 4], 23);
    const loss =
      (fused: boolean) =>
      (...t: tf.Tensor[]) => {
        const [xx, mm, vv, g, b] = t;
        const y = fused ? tf.batchNorm(xx, mm, vv, b, g, 1e-5) : tf.add(tf.mul(tf.div(tf.sub(xx, mm), tf.sqrt(tf.add(vv, 1e-5))), g), b);
        return tf.sum(tf.mul(y, w)) as tf.Scalar;
      };
    const ours = tf.grads(loss(true))([x, m, v, gamma, beta]);
    const explicit = tf.grads(loss(false))([x, m, v, gamma, beta]);
    ours.forEach((g, i) => {
      expect(g.shape).toEqual(explicit[i].shape);
      expect(relativeMaxDifference(g.dataSync(), explicit[i].dataSync()), `input ${i}`).toBeLessThan(2e-5);
    });
    tf.dispose([x, m, v, gamma, beta, w, ...ours, ...explicit]);
  });

  it('replace the stock gradient functions (a no-op registration would pass the test above)', () => {
    registerTrainingGradients();
    const source = tf.getGradient(tf.FusedBatchNorm)!.gradFunc.toString();
    expect(source).not.toMatch(/tile/);
    expect(tf.getGradient(tf.Mean)!.gradFunc.toString()).not.toMatch(/ones\(/);
  });
});
