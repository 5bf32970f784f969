import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AdamL2,
  AdamW,
  createOptimizer,
  isExcludedFromDecay,
  isSupervisedHead,
  Lars,
  SgdMomentum,
  supervisedHeadL2,
  weightDecayExclusions,
  type SlotOptimizer,
} from './optim';
import { Rng } from './random';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

let created: tf.Variable[] = [];
let uid = 0;
afterEach(() => {
  tf.dispose(created);
  created = [];
});

/** A variable with a unique name that ends with `suffix` (the exclusion predicate looks at names). */
function variable(values: number[], suffix: string): tf.Variable {
  const v = tf.variable(tf.tensor1d(values), true, `optim_test_${uid++}/${suffix}`);
  created.push(v);
  return v;
}

function norm(x: number[]): number {
  return Math.sqrt(x.reduce((s, v) => s + v * v, 0));
}

/** Plain-JS LARS (official classic momentum) on one variable; returns the new weights and velocity. */
function larsStep(
  w: number[],
  grad: number[],
  v: number[],
  o: { lr: number; momentum: number; wd: number; eta: number; excluded: boolean },
) {
  const g = o.excluded || o.wd === 0 ? [...grad] : grad.map((gi, i) => gi + o.wd * w[i]);
  let trust = 1;
  if (!o.excluded && norm(w) > 0 && norm(g) > 0) trust = (o.eta * norm(w)) / norm(g);
  const nextV = v.map((vi, i) => o.momentum * vi + o.lr * trust * g[i]);
  return { w: w.map((wi, i) => wi - nextV[i]), v: nextV };
}

function applyOnce(optimizer: SlotOptimizer, grads: Record<string, number[]>): void {
  const map: tf.NamedTensorMap = {};
  for (const [name, values] of Object.entries(grads)) map[name] = tf.tensor1d(values);
  optimizer.applyGradients(map);
  tf.dispose(Object.values(map));
}

function values(v: tf.Variable): number[] {
  return Array.from(v.dataSync());
}

function expectClose(actual: number[], expected: number[], digits = 5): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => expect(a).toBeCloseTo(expected[i], digits));
}

describe('isExcludedFromDecay', () => {
  it('excludes biases and batch-norm parameters, not kernels', () => {
    expect(isExcludedFromDecay('encoder/block1/bn1/gamma')).toBe(true);
    expect(isExcludedFromDecay('encoder/block1/bn2/beta')).toBe(true);
    expect(isExcludedFromDecay('head/dense0/bias')).toBe(true);
    expect(isExcludedFromDecay('encoder/stem/conv/kernel')).toBe(false);
    expect(isExcludedFromDecay('head/dense0/kernel')).toBe(false);
  });
});

describe('weightDecayExclusions (official build_optimizer / add_weight_decay)', () => {
  it('LARS leaves BN, biases and the supervised head out of decay and trust ratio; sgd/adam only BN; adamw biases and BN', () => {
    const names = [
      'm1/encoder/stem/conv/kernel',
      'm1/encoder/block1_1/bn1/gamma',
      'm1/head/dense0/kernel',
      'm1/classifier/kernel',
      'm1/classifier/bias',
      'm2/linearProbe/kernel',
    ];
    const lars = weightDecayExclusions('lars');
    expect(names.map((n) => lars.excludeFromWeightDecay!(n))).toEqual([false, true, false, true, true, true]);
    expect(names.map((n) => lars.excludeFromLayerAdaptation!(n))).toEqual([false, true, false, true, true, true]);
    const sgd = weightDecayExclusions('sgd');
    expect(names.map((n) => sgd.excludeFromWeightDecay!(n))).toEqual([false, true, false, false, false, false]);
    expect(weightDecayExclusions('adam').excludeFromWeightDecay!('m1/classifier/bias')).toBe(false);
    expect(weightDecayExclusions('adamw').excludeFromWeightDecay!('m1/classifier/bias')).toBe(true);
    // A model whose store prefix happens to start with "classifier" is not the supervised head.
    expect(isSupervisedHead('classifier7/encoder/stem/conv/kernel')).toBe(false);
    expect(isSupervisedHead('classifier7/classifier/kernel')).toBe(true);
  });
});

describe('Lars', () => {
  it('keeps decay and trust ratio as separate predicates', () => {
    // Decayed but not adapted: g = 1 + 0.5·w, step lr·g, no trust ratio.
    const a = variable([1, 2], 'decayedOnly');
    const lars = new Lars({
      learningRate: 0.1,
      momentum: 0,
      weightDecay: 0.5,
      excludeFromWeightDecay: () => false,
      excludeFromLayerAdaptation: (n) => n.endsWith('decayedOnly'),
    });
    applyOnce(lars, { [a.name]: [1, 1] });
    expectClose(values(a), [1 - 0.1 * 1.5, 2 - 0.1 * 2]);
    lars.dispose();
  });

  it('steps the classifier without trust ratio, its decay an L2 term in the loss (hand computation)', () => {
    const kernel = variable([0.5, -1.0, 2.0], 'encoder/conv/kernel');
    const head = variable([0.02, -0.01], 'classifier/kernel');
    const headBias = variable([0.3, 0.1], 'classifier/bias');
    const wd = 0.1;
    const lr = 0.5;
    const lars = createOptimizer('lars', {
      learningRate: lr,
      momentum: 0.9,
      weightDecay: wd,
      eta: 0.001,
      ...weightDecayExclusions('lars'),
    });
    const c = { kernel: [0.3, 0.1, -0.2], head: [1.0, -2.0], bias: [0.5, 0.5] };
    // loss = Σ c·w over the three variables + wd/2·‖classifier kernel‖²
    const loss = () =>
      tf.tidy(() => {
        const data = tf.addN([tf.sum(tf.mul(kernel, c.kernel)), tf.sum(tf.mul(head, c.head)), tf.sum(tf.mul(headBias, c.bias))]);
        const l2 = supervisedHeadL2('lars', wd, [kernel, head, headBias])!;
        return tf.add(data, l2) as tf.Scalar;
      });
    const value = lars.minimize(loss, true, [kernel, head, headBias])!;
    // L2 term: 0.1/2·(0.02² + 0.01²) = 2.5e-5; data: 0.15 − 0.1 − 0.4 + 0.02 + 0.02 + 0.15 + 0.05 = −0.11.
    expect(value.dataSync()[0]).toBeCloseTo(-0.11 + 2.5e-5, 6);
    value.dispose();
    // Classifier kernel: g = c + wd·w = [1.002, −2.001]; no trust ratio: w − lr·g.
    expectClose(values(head), [0.02 - 0.5 * 1.002, -0.01 - 0.5 * -2.001], 6);
    // Classifier bias: no decay, no trust ratio, no L2 term.
    expectClose(values(headBias), [0.3 - 0.5 * 0.5, 0.1 - 0.5 * 0.5], 6);
    // Encoder kernel: decayed in the optimiser and adapted: trust = η‖w‖/‖g‖.
    const g = c.kernel.map((x, i) => x + wd * [0.5, -1.0, 2.0][i]);
    const trust = (0.001 * norm([0.5, -1.0, 2.0])) / norm(g);
    expectClose(
      values(kernel),
      [0.5, -1.0, 2.0].map((w, i) => w - lr * trust * g[i]),
      6,
    );
    expect(supervisedHeadL2('sgd', wd, [head])).toBeNull();
    lars.dispose();
  });

  it('trains a linear classifier on fixed features of a separable task to ~100% train accuracy (classifier excluded)', () => {
    const rng = new Rng(11);
    const [n, d, classes] = [256, 64, 4];
    const features = tf.tensor2d(Array.from({ length: n }, () => Array.from({ length: d }, () => Math.max(0, rng.normal()))));
    const teacher = tf.tensor2d(Array.from({ length: d }, () => Array.from({ length: classes }, () => rng.normal())));
    const labels = tf.tidy(() => tf.argMax(tf.matMul(tf.sub(features, tf.mean(features, 0)), teacher), 1));
    const oneHot = tf.oneHot(labels as tf.Tensor1D, classes).toFloat();
    const trainAccuracy = (excludeClassifier: boolean) => {
      const kernel = tf.variable(tf.randomNormal([d, classes], 0, 0.01, 'float32', 7), true, `sep_${uid++}/classifier/kernel`);
      const bias = tf.variable(tf.zeros([classes]), true, `sep_${uid++}/classifier/bias`);
      created.push(kernel, bias);
      const exclusions = excludeClassifier ? weightDecayExclusions('lars') : { excludeFromWeightDecay: isExcludedFromDecay };
      const lars = createOptimizer('lars', { learningRate: 0.1, momentum: 0.9, weightDecay: 1e-6, ...exclusions });
      for (let step = 0; step < 200; step++) {
        tf.dispose(
          lars.minimize(
            () => {
              const logits = tf.add(tf.matMul(features, kernel), bias);
              const ce = tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1))) as tf.Scalar;
              const l2 = excludeClassifier ? supervisedHeadL2('lars', 1e-6, [kernel]) : null;
              return l2 ? tf.add(ce, l2) : ce;
            },
            true,
            [kernel, bias],
          ) ?? [],
        );
      }
      lars.dispose();
      return tf.tidy(
        () => tf.mean(tf.cast(tf.equal(tf.argMax(tf.add(tf.matMul(features, kernel), bias), 1), labels), 'float32')).dataSync()[0],
      );
    };
    expect(trainAccuracy(true)).toBeGreaterThan(0.97);
    // With the trust ratio on the classifier (the old behaviour) each step moves it by ~lr·η·‖W‖: it barely learns.
    expect(trainAccuracy(false)).toBeLessThan(0.8);
    tf.dispose([features, teacher, labels, oneHot]);
  });

  it('matches the official update for an adapted and an excluded variable over two steps', () => {
    const kernel = variable([0.5, -1.0, 2.0], 'kernel');
    const bias = variable([0.1, -0.2], 'bias');
    const options = { lr: 0.3, momentum: 0.9, wd: 0.01, eta: 0.001 };
    const lars = new Lars({ learningRate: options.lr, momentum: options.momentum, weightDecay: options.wd, eta: options.eta });
    let k = { w: [0.5, -1.0, 2.0], v: [0, 0, 0] };
    let b = { w: [0.1, -0.2], v: [0, 0] };
    const steps = [
      { kernel: [0.3, 0.1, -0.2], bias: [1.0, -0.5] },
      { kernel: [-0.4, 0.2, 0.05], bias: [0.2, 0.3] },
    ];
    for (const grads of steps) {
      applyOnce(lars, { [kernel.name]: grads.kernel, [bias.name]: grads.bias });
      k = larsStep(k.w, grads.kernel, k.v, { ...options, excluded: false });
      b = larsStep(b.w, grads.bias, b.v, { ...options, excluded: true });
      expectClose(values(kernel), k.w, 6);
      expectClose(values(bias), b.w, 6);
    }
    // Hand check of the first kernel step: g = grad + 0.01·w = [0.305, 0.09, -0.18],
    // trust = 0.001·‖w‖/‖g‖ = 0.001·2.29129/0.36544 = 0.0062700, update = 0.3·trust·g.
    const g = [0.305, 0.09, -0.18];
    const trust = (0.001 * Math.sqrt(0.25 + 1 + 4)) / Math.sqrt(0.305 ** 2 + 0.09 ** 2 + 0.18 ** 2);
    expect(trust).toBeCloseTo(0.00627, 5);
    const firstKernel = [0.5, -1.0, 2.0].map((w, i) => w - 0.3 * trust * g[i]);
    expect(larsStep([0.5, -1.0, 2.0], [0.3, 0.1, -0.2], [0, 0, 0], { ...options, excluded: false }).w).toEqual(firstKernel);
    lars.dispose();
  });

  it('uses trust ratio 1 when the weights or the gradient are zero', () => {
    const zeros = variable([0, 0], 'kernel');
    const lars = new Lars({ learningRate: 0.5, momentum: 0, weightDecay: 0 });
    applyOnce(lars, { [zeros.name]: [1, -2] });
    expectClose(values(zeros), [-0.5, 1.0]);
    const w = variable([1, 1], 'kernel');
    applyOnce(lars, { [w.name]: [0, 0] });
    expectClose(values(w), [1, 1]);
    lars.dispose();
  });

  it('honours a custom exclusion predicate and a learning rate changed between steps', () => {
    const a = variable([1, 2], 'special');
    const lars = new Lars({
      learningRate: 0.1,
      momentum: 0.9,
      weightDecay: 0.5,
      excludeFromLayerAdaptation: (name) => name.endsWith('special'),
    });
    applyOnce(lars, { [a.name]: [1, 1] });
    expectClose(values(a), [0.9, 1.9]);
    lars.learningRate = 1;
    applyOnce(lars, { [a.name]: [1, 1] });
    // v = 0.9·0.1 + 1·1 = 1.09
    expectClose(values(a), [0.9 - 1.09, 1.9 - 1.09]);
    lars.dispose();
  });

  it('is registered for serialization under the class name Lars', () => {
    const lars = new Lars({ learningRate: 0.2, eta: 0.002 });
    expect(lars.getClassName()).toBe('Lars');
    const map = tf.serialization.SerializationMap.getMap().classNameMap;
    expect(map.Lars).toBeDefined();
    expect(lars.getConfig()).toMatchObject({ learningRate: 0.2, eta: 0.002, momentum: 0.9 });
    lars.dispose();
  });
});

describe('serialization of the four optimisers', () => {
  it('rebuilds each one, as its own class with its settings, through the registered fromConfig', () => {
    const map = tf.serialization.SerializationMap.getMap().classNameMap;
    const options = { learningRate: 0.2, momentum: 0.8, weightDecay: 1e-3 };
    for (const optimizer of [new Lars({ ...options, eta: 0.002 }), new SgdMomentum(options), new AdamL2(options), new AdamW(options)]) {
      const [cls, fromConfig] = map[optimizer.getClassName()];
      const copy = fromConfig(cls, optimizer.getConfig());
      expect(copy.constructor).toBe(optimizer.constructor);
      expect(copy.getConfig()).toEqual(optimizer.getConfig());
      optimizer.dispose();
    }
  });
});

describe('SgdMomentum (Nesterov, as the official momentum optimizer)', () => {
  it('matches a hand computation of two Nesterov steps with coupled L2', () => {
    const w = variable([1, -2], 'kernel');
    const sgd = new SgdMomentum({ learningRate: 0.1, momentum: 0.9, weightDecay: 0.1 });
    applyOnce(sgd, { [w.name]: [0.2, 0.4] });
    // Step 1: g = [0.2 + 0.1, 0.4 − 0.2] = [0.3, 0.2]; u = 0.1·g = [0.03, 0.02];
    // w −= 0.9·u + 0.1·g = [0.057, 0.038] → [0.943, −2.038].
    expectClose(values(w), [0.943, -2.038], 6);
    applyOnce(sgd, { [w.name]: [-0.1, 0.3] });
    // Step 2: g = [−0.1 + 0.0943, 0.3 − 0.2038] = [−0.0057, 0.0962]; u = 0.9·[0.03, 0.02] + 0.1·g = [0.02643, 0.02762];
    // w −= 0.9·u + 0.1·g = [0.023217, 0.034478].
    expectClose(values(w), [0.943 - 0.023217, -2.038 - 0.034478], 6);
    sgd.dispose();
  });

  it('matches plain JS over two steps with coupled weight decay except for excluded variables', () => {
    const kernel = variable([1, -2], 'kernel');
    const gamma = variable([0.5, 0.5], 'bn1/gamma');
    const sgd = new SgdMomentum({ learningRate: 0.1, momentum: 0.9, weightDecay: 0.1 });
    let w = [1, -2];
    let v = [0, 0];
    let gw = [0.5, 0.5];
    let gv = [0, 0];
    for (const grad of [
      [0.2, 0.4],
      [-0.1, 0.3],
    ]) {
      applyOnce(sgd, { [kernel.name]: grad, [gamma.name]: grad });
      const g = grad.map((x, i) => x + 0.1 * w[i]);
      v = v.map((x, i) => 0.9 * x + 0.1 * g[i]);
      w = w.map((x, i) => x - (0.9 * v[i] + 0.1 * g[i]));
      gv = gv.map((x, i) => 0.9 * x + 0.1 * grad[i]);
      gw = gw.map((x, i) => x - (0.9 * gv[i] + 0.1 * grad[i]));
      expectClose(values(kernel), w, 6);
      expectClose(values(gamma), gw, 6);
    }
    sgd.dispose();
  });
});

describe('AdamL2 (the official adam: L2 in the loss)', () => {
  it('matches a hand computation of the first step and plain JS of the second', () => {
    const w = variable([1, -2], 'kernel');
    const gamma = variable([1, 1], 'bn1/gamma');
    const adam = createOptimizer('adam', { learningRate: 0.01, momentum: 0.9, weightDecay: 0.5, ...weightDecayExclusions('adam') });
    expect(adam).toBeInstanceOf(AdamL2);
    applyOnce(adam, { [w.name]: [0.2, -0.4], [gamma.name]: [0.2, -0.4] });
    // Step 1: g = grad + 0.5·w = [0.7, −1.4]; m̂ = g, v̂ = g², so the step is lr·g/(|g| + 1e-7) ≈ lr·sign(g).
    expectClose(values(w), [1 - 0.01 * (0.7 / (0.7 + 1e-7)), -2 + 0.01 * (1.4 / (1.4 + 1e-7))], 6);
    // BN gamma gets no L2: its step is lr·sign(grad).
    expectClose(values(gamma), [1 - 0.01, 1 + 0.01], 6);
    // Step 2 in plain JS: the L2 gradient goes through Adam's moments.
    let m = [0.7, -1.4].map((x) => 0.1 * x);
    let v = [0.7, -1.4].map((x) => 0.001 * x * x);
    const w1 = values(w);
    const grad = [0.1, 0.1];
    applyOnce(adam, { [w.name]: grad, [gamma.name]: grad });
    const g = grad.map((x, i) => x + 0.5 * w1[i]);
    m = m.map((x, i) => 0.9 * x + 0.1 * g[i]);
    v = v.map((x, i) => 0.999 * x + 0.001 * g[i] ** 2);
    const expected = w1.map((x, i) => x - (0.01 * (m[i] / (1 - 0.9 ** 2))) / (Math.sqrt(v[i] / (1 - 0.999 ** 2)) + 1e-7));
    expectClose(values(w), expected, 6);
    adam.dispose();
  });
});

describe('AdamW', () => {
  it('matches plain JS over two steps with decoupled decay', () => {
    const kernel = variable([1, -2], 'kernel');
    const bias = variable([0.3, 0.3], 'bias');
    const adam = new AdamW({ learningRate: 0.01, momentum: 0.9, weightDecay: 0.1 });
    const state = { kernel: { w: [1, -2], m: [0, 0], v: [0, 0] }, bias: { w: [0.3, 0.3], m: [0, 0], v: [0, 0] } };
    const grads = [
      [0.2, -0.4],
      [0.1, 0.3],
    ];
    grads.forEach((grad, index) => {
      const t = index + 1;
      applyOnce(adam, { [kernel.name]: grad, [bias.name]: grad });
      for (const [key, decay] of [
        ['kernel', 0.1],
        ['bias', 0],
      ] as const) {
        const s = state[key];
        s.m = s.m.map((m, i) => 0.9 * m + 0.1 * grad[i]);
        s.v = s.v.map((v, i) => 0.999 * v + 0.001 * grad[i] ** 2);
        s.w = s.w.map((w, i) => {
          const mHat = s.m[i] / (1 - 0.9 ** t);
          const vHat = s.v[i] / (1 - 0.999 ** t);
          return w - 0.01 * (mHat / (Math.sqrt(vHat) + 1e-8) + decay * w);
        });
      }
      expectClose(values(kernel), state.kernel.w, 6);
      expectClose(values(bias), state.bias.w, 6);
    });
    // First Adam step moves each coordinate by about lr·sign(grad) (plus decay).
    adam.dispose();
  });
});

describe('optimizer state', () => {
  for (const name of ['lars', 'sgd', 'adam', 'adamw'] as const) {
    it(`${name}: save/restore of the state gives an identical next step`, async () => {
      const a = variable([1, -2, 0.5], 'kernel');
      const b = variable([0.1, 0.2, 0.3], 'kernel');
      const first = createOptimizer(name, { learningRate: 0.1, weightDecay: 0.01 });
      applyOnce(first, { [a.name]: [0.3, -0.2, 0.1] });
      applyOnce(first, { [a.name]: [0.1, 0.1, -0.4] });
      // Save (copying the live state, as a checkpoint would), and put b in a's place.
      const saved = (await first.getWeights()).map(({ name: n, tensor }) => ({ name: n.replace(a.name, b.name), tensor: tensor.clone() }));
      b.assign(tf.tensor1d(values(a)));
      const second = createOptimizer(name, { learningRate: 0.1, weightDecay: 0.01 });
      await second.setWeights(saved);
      tf.dispose(saved.map((s) => s.tensor));
      expect(second.iterations).toBe(2);
      applyOnce(first, { [a.name]: [0.5, 0.5, 0.5] });
      applyOnce(second, { [b.name]: [0.5, 0.5, 0.5] });
      expectClose(values(b), values(a), 6);
      first.dispose();
      second.dispose();
    });
  }

  it('names state by variable and rejects foreign state with a clear message', async () => {
    const a = variable([1, 2], 'kernel');
    const adam = new AdamW({ learningRate: 0.1 });
    applyOnce(adam, { [a.name]: [1, 1] });
    expect(adam.slotVariableNames().sort()).toEqual([`${a.name}/m`, `${a.name}/v`]);
    const other = new Lars({ learningRate: 0.1 });
    const iter = { name: 'iter', tensor: tf.scalar(1, 'int32') };
    const bogus = { name: `${a.name}/m`, tensor: tf.zeros([2]) };
    await expect(other.setWeights([iter, bogus])).rejects.toThrow(/unexpected state/);
    tf.dispose([iter.tensor, bogus.tensor]);
    adam.dispose();
    other.dispose();
  });

  it('does not leak tensors over 100 steps and frees its state on dispose', () => {
    const a = variable([1, -2, 0.5, 3], 'kernel');
    const bias = variable([0, 0], 'bias');
    for (const name of ['lars', 'sgd', 'adam', 'adamw'] as const) {
      const optimizer = createOptimizer(name, { learningRate: 0.01, weightDecay: 1e-4 });
      const before = tf.memory().numTensors;
      const gradA = tf.tensor1d([0.1, 0.2, -0.1, 0.05]);
      const gradB = tf.tensor1d([0.1, -0.1]);
      applyOnce(optimizer, { [a.name]: [0.1, 0.2, -0.1, 0.05] });
      const afterFirst = tf.memory().numTensors;
      for (let i = 0; i < 100; i++) optimizer.applyGradients({ [a.name]: gradA, [bias.name]: gradB });
      const slotsPerVariable = name === 'adam' || name === 'adamw' ? 2 : 1;
      expect(tf.memory().numTensors).toBe(afterFirst + slotsPerVariable);
      tf.dispose([gradA, gradB]);
      optimizer.dispose();
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  it('minimize() trains a tiny least-squares problem', () => {
    const w = variable([0, 0], 'kernel');
    const x = tf.tensor2d([
      [1, 2],
      [3, 1],
      [0, 1],
    ]);
    const y = tf.tensor1d([5, 5, 2]); // solution w = [1, 2]
    const sgd = new SgdMomentum({ learningRate: 0.02, momentum: 0.9 });
    for (let i = 0; i < 300; i++) {
      sgd.minimize(() => tf.mean(tf.square(tf.sub(tf.squeeze(tf.matMul(x, tf.reshape(w, [2, 1]))), y))) as tf.Scalar);
    }
    expectClose(values(w), [1, 2], 3);
    sgd.dispose();
    tf.dispose([x, y]);
  });

  it('createOptimizer rejects unknown names', () => {
    expect(() => createOptimizer('rmsprop' as 'sgd', { learningRate: 0.1 })).toThrow(/unknown optimizer "rmsprop"/);
  });
});

describe('integration with tfjs-layers', () => {
  it('trains a dense model through model.fit with Lars and excludes its bias by name', async () => {
    const model = tf.sequential({
      layers: [tf.layers.dense({ units: 1, inputShape: [2], kernelInitializer: 'ones', biasInitializer: 'zeros' })],
    });
    const lars = new Lars({ learningRate: 0.1, momentum: 0.9, weightDecay: 1e-4, eta: 0.5 });
    model.compile({ optimizer: lars, loss: 'meanSquaredError' });
    const x = tf.tensor2d([
      [1, 0],
      [0, 1],
      [1, 1],
      [2, 1],
    ]);
    const y = tf.tensor2d([[2], [-1], [1], [3]]); // w = [2, -1], b = 0
    const before = ((await model.evaluate(x, y)) as tf.Scalar).dataSync()[0];
    await model.fit(x, y, { epochs: 40, batchSize: 4, verbose: 0 });
    const after = ((await model.evaluate(x, y)) as tf.Scalar).dataSync()[0];
    expect(after).toBeLessThan(before * 0.5);
    const names = lars.slotVariableNames();
    expect(names.some((n) => n.endsWith('/kernel/momentum'))).toBe(true);
    expect(names.some((n) => n.endsWith('/bias/momentum'))).toBe(true);
    lars.dispose();
    model.dispose();
    tf.dispose([x, y]);
  });
});
