import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../random';
import { BATCH_NORM_EPSILON, BatchNorm, Conv2d } from './layers';
import { ParameterStore } from './parameters';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Per-channel mean and biased variance of NHWC (or NC) data, in plain JS. */
function channelMoments(data: Float32Array, channels: number): { mean: number[]; variance: number[] } {
  const n = data.length / channels;
  const mean = Array<number>(channels).fill(0);
  const variance = Array<number>(channels).fill(0);
  data.forEach((v, i) => (mean[i % channels] += v / n));
  data.forEach((v, i) => (variance[i % channels] += (v - mean[i % channels]) ** 2 / n));
  return { mean, variance };
}

function shiftedScaledInput(shape: number[], seed: number): tf.Tensor {
  // Channel c has mean 3c - 2 and std c + 0.5, so normalisation has something to undo.
  const channels = shape[shape.length - 1];
  return tf.tidy(() => {
    const shift = tf.tensor1d(Array.from({ length: channels }, (_, c) => 3 * c - 2));
    const scale = tf.tensor1d(Array.from({ length: channels }, (_, c) => c + 0.5));
    return tf.add(tf.mul(tf.randomNormal(shape, 0, 1, 'float32', seed), scale), shift);
  });
}

describe('BatchNorm', () => {
  it('in training mode normalises each channel with the batch statistics and moves the moving averages', () => {
    const store = new ParameterStore('test');
    const bn = new BatchNorm(store, 'bn', 3);
    const x = shiftedScaledInput([4, 5, 5, 3], 1) as tf.Tensor4D;
    const xData = x.dataSync() as Float32Array;
    const batch = channelMoments(xData, 3);

    const y = bn.apply(x, true);
    const out = channelMoments(y.dataSync() as Float32Array, 3);
    for (let c = 0; c < 3; c++) {
      expect(out.mean[c]).toBeCloseTo(0, 4);
      expect(Math.sqrt(out.variance[c])).toBeCloseTo(Math.sqrt(batch.variance[c] / (batch.variance[c] + BATCH_NORM_EPSILON)), 4);
    }
    const movingMean = bn.movingMean.dataSync();
    const movingVariance = bn.movingVariance.dataSync();
    for (let c = 0; c < 3; c++) {
      expect(movingMean[c]).toBeCloseTo(0.1 * batch.mean[c], 4);
      expect(movingVariance[c]).toBeCloseTo(0.9 + 0.1 * batch.variance[c], 3);
    }
    // Repeated steps on the same batch converge to its statistics.
    for (let i = 0; i < 100; i++) tf.dispose(bn.apply(x, true));
    const convergedMean = bn.movingMean.dataSync();
    for (let c = 0; c < 3; c++) expect(convergedMean[c]).toBeCloseTo(batch.mean[c], 2);
    tf.dispose([x, y]);
    store.dispose();
  });

  it('in eval mode uses the moving statistics, gamma and beta, and changes nothing', () => {
    const store = new ParameterStore('test');
    const bn = new BatchNorm(store, 'bn', 2);
    store.setWeights({
      'bn/gamma': { shape: [2], data: Float32Array.from([2, -1]) },
      'bn/beta': { shape: [2], data: Float32Array.from([0.5, 3]) },
      'bn/movingMean': { shape: [2], data: Float32Array.from([1, -2]) },
      'bn/movingVariance': { shape: [2], data: Float32Array.from([4, 0.25]) },
    });
    const x = tf.tensor2d([
      [1, 0],
      [3, -2],
      [-1, 5],
    ]);
    const y = bn.apply(x, false).arraySync();
    const expected = [
      [1, 0],
      [3, -2],
      [-1, 5],
    ].map(([a, b]) => [((a - 1) / Math.sqrt(4 + BATCH_NORM_EPSILON)) * 2 + 0.5, ((b + 2) / Math.sqrt(0.25 + BATCH_NORM_EPSILON)) * -1 + 3]);
    y.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(expected[i][j], 4)));
    expect(Array.from(bn.movingMean.dataSync())).toEqual([1, -2]);
    x.dispose();
    store.dispose();
  });

  it('zeroGamma starts gamma at 0 and center=false has no beta', () => {
    const store = new ParameterStore('test');
    const bn = new BatchNorm(store, 'a', 4, { zeroGamma: true, center: false });
    expect(Array.from(bn.gamma.dataSync())).toEqual([0, 0, 0, 0]);
    expect(bn.beta).toBeNull();
    expect(store.list().map((p) => p.path)).toEqual(['a/gamma', 'a/movingMean', 'a/movingVariance']);
    store.dispose();
  });

  for (const shape of [
    [6, 3],
    [2, 3, 3, 3],
  ]) {
    it(`training-mode gradients match an elementary-op BN (input ${shape.length}-D)`, () => {
      const store = new ParameterStore('test');
      const bn = new BatchNorm(store, 'bn', 3);
      store.setWeights(
        {
          'bn/gamma': { shape: [3], data: Float32Array.from([1.5, -0.5, 2]) },
          'bn/beta': { shape: [3], data: Float32Array.from([0.1, 0.2, -0.3]) },
        },
        { partial: true },
      );
      const x = shiftedScaledInput(shape, 3);
      const weights = tf.randomNormal(shape, 0, 1, 'float32', 4);
      const axes = shape.map((_, i) => i).slice(0, -1);
      const elementary = (input: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => {
        const mean = tf.mean(input, axes);
        const variance = tf.mean(tf.square(tf.sub(input, mean)), axes);
        const normalised = tf.div(tf.sub(input, mean), tf.sqrt(tf.add(variance, BATCH_NORM_EPSILON)));
        return tf.sum(tf.mul(tf.add(tf.mul(normalised, gamma), beta), weights));
      };
      const gamma = tf.tensor1d([1.5, -0.5, 2]);
      const beta = tf.tensor1d([0.1, 0.2, -0.3]);
      const [gxRef, gGammaRef, gBetaRef] = tf.grads(elementary)([x, gamma, beta]);
      const gxOurs = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(bn.apply(input as tf.Tensor4D, true), weights)))(x);
      tf.test_util.expectArraysClose(gxOurs.dataSync(), gxRef.dataSync(), 2e-3);

      const { grads } = tf.variableGrads(
        () => tf.sum(tf.mul(bn.apply(x as tf.Tensor4D, true), weights)) as tf.Scalar,
        [bn.gamma, bn.beta!],
      );
      tf.test_util.expectArraysClose(grads[bn.gamma.name].dataSync(), gGammaRef.dataSync(), 2e-3);
      tf.test_util.expectArraysClose(grads[bn.beta!.name].dataSync(), gBetaRef.dataSync(), 2e-3);
      tf.dispose([x, weights, gamma, beta, gxRef, gxOurs, gGammaRef, gBetaRef, ...Object.values(grads)]);
      store.dispose();
    });
  }

  it('updates the moving statistics inside tf.variableGrads without disturbing the gradients', () => {
    const store = new ParameterStore('test');
    const bn = new BatchNorm(store, 'bn', 2);
    const x = shiftedScaledInput([8, 2], 5) as tf.Tensor2D;
    const batch = channelMoments(x.dataSync() as Float32Array, 2);
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(bn.apply(x, true))) as tf.Scalar, store.trainableVariables());
    expect(Object.keys(grads).sort()).toEqual([bn.beta!.name, bn.gamma.name].sort());
    const movingMean = bn.movingMean.dataSync();
    for (let c = 0; c < 2; c++) expect(movingMean[c]).toBeCloseTo(0.1 * batch.mean[c], 4);
    // d/dgamma sum(y^2) with beta = 0 is 2·gamma·sum(x̂^2) ≈ 2·N·var/(var+eps).
    const gGamma = grads[bn.gamma.name].dataSync();
    for (let c = 0; c < 2; c++) expect(gGamma[c]).toBeCloseTo((2 * 8 * batch.variance[c]) / (batch.variance[c] + BATCH_NORM_EPSILON), 2);
    tf.dispose([value, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    store.dispose();
  });
});

describe('Conv2d', () => {
  it('is He-normal (fan_out) initialised, deterministic under the seed, and pads symmetrically', () => {
    const storeA = new ParameterStore('test');
    const storeB = new ParameterStore('test');
    const a = new Conv2d(storeA, 'c', 3, 16, 32, 2, new Rng(9));
    const b = new Conv2d(storeB, 'c', 3, 16, 32, 2, new Rng(9));
    const values = Array.from(a.kernel.dataSync());
    expect(values).toEqual(Array.from(b.kernel.dataSync()));
    const std = Math.sqrt(values.reduce((s, v) => s + v * v, 0) / values.length);
    expect(std).toBeCloseTo(Math.sqrt(2 / (3 * 3 * 32)), 2);

    // Stride 2 on 5×5 with pad 1 on both sides: output 3×3, the corner sees rows/cols 0..1 only.
    const store = new ParameterStore('test');
    const conv = new Conv2d(store, 'c', 3, 1, 1, 2, new Rng(1));
    store.setWeights({ 'c/kernel': { shape: [3, 3, 1, 1], data: new Float32Array(9).fill(1) } });
    const x = tf.ones([1, 5, 5, 1]) as tf.Tensor4D;
    const y = conv.apply(x);
    expect(y.shape).toEqual([1, 3, 3, 1]);
    expect(Array.from(y.dataSync())).toEqual([4, 6, 4, 6, 9, 6, 4, 6, 4]);
    tf.dispose([x, y]);
    [storeA, storeB, store].forEach((s) => s.dispose());
  });
});

describe('ParameterStore', () => {
  it('registers unique tfjs names but keys weights by readable path, with clear errors', () => {
    const a = new ParameterStore('m');
    const b = new ParameterStore('m');
    const va = a.create('encoder/x/kernel', [2], true, () => tf.ones([2]));
    const vb = b.create('encoder/x/kernel', [2], true, () => tf.zeros([2]));
    expect(va.name).not.toBe(vb.name);
    expect(va.name.endsWith('/encoder/x/kernel')).toBe(true);
    expect(a.pathOf(va)).toBe('encoder/x/kernel');
    expect(() => a.pathOf(vb)).toThrow(/does not belong/);
    expect(() => a.create('encoder/x/kernel', [2], true, () => tf.ones([2]))).toThrow(/defined twice/);
    expect(() => a.setWeights({})).toThrow(/missing weight "encoder\/x\/kernel"/);
    expect(() => a.setWeights({ 'encoder/x/kernel': { shape: [3], data: new Float32Array(3) } })).toThrow(/shape \[3\], expected \[2\]/);
    expect(() =>
      a.setWeights({ 'encoder/x/kernel': { shape: [2], data: new Float32Array(2) }, nope: { shape: [1], data: new Float32Array(1) } }),
    ).toThrow(/unknown weight "nope"/);
    // A failed set assigns nothing.
    expect(Array.from(va.dataSync())).toEqual([1, 1]);
    a.dispose();
    b.dispose();
  });
});
