import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseRunConfig } from '../config';
import { Classifier, type ModelSpec, SimclrModel, modelSpecFromConfig } from './index';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const tiny: ModelSpec = { depth: 18, widthMultiplier: 0.0625, skRatio: 0, imageSize: 8, projectionLayers: 3, projectionDim: 6 };
const tinySk: ModelSpec = { depth: 50, widthMultiplier: 0.0625, skRatio: 0.0625, imageSize: 8, projectionLayers: 2, projectionDim: 6 };

const disposables: { dispose(): void }[] = [];
function track<T extends { dispose(): void }>(thing: T): T {
  disposables.push(thing);
  return thing;
}
afterEach(() => {
  disposables.splice(0).forEach((d) => d.dispose());
});

function images(n: number, seed: number, size = 8): tf.Tensor4D {
  return track(tf.randomUniform([n, size, size, 3], 0, 1, 'float32', seed) as tf.Tensor4D);
}

function values(t: tf.Tensor): number[] {
  const out = Array.from(t.dataSync());
  t.dispose();
  return out;
}

describe('SimclrModel', () => {
  it('encodes to featureDim, projects to projectionDim, and projectUpTo(k) follows the official hiddens list', () => {
    const model = track(new SimclrModel(tiny, 1));
    const x = images(4, 2);
    const h = track(model.encode(x, false));
    expect(h.shape).toEqual([4, 32]);
    expect(model.featureDim).toBe(32);
    expect(model.outputDim).toBe(6);
    const z = track(model.project(h, false));
    expect(z.shape).toEqual([4, 6]);
    expect(values(model.projectUpTo(h, 0, false))).toEqual(Array.from(h.dataSync()));
    const first = track(model.projectUpTo(h, 1, false));
    expect(first.shape).toEqual([4, 32]);
    expect(Math.min(...first.dataSync())).toBeGreaterThanOrEqual(0); // hidden layers end in ReLU
    expect(values(model.projectUpTo(h, 3, false))).toEqual(Array.from(z.dataSync()));
    expect(() => model.projectUpTo(h, 4, false)).toThrow(/cannot apply 4/);
  });

  it('names variables by readable path; only kernels escape the optimiser exclusion predicate', () => {
    const model = track(new SimclrModel(tiny, 1));
    const paths = model.parameters().map((p) => p.path);
    for (const expected of [
      'encoder/stem/conv/kernel',
      'encoder/block2_1/bn2/gamma',
      'encoder/block2_1/shortcut/conv/kernel',
      'head/dense0/kernel',
      'head/bn0/beta',
      'head/bn2/gamma',
    ]) {
      expect(paths).toContain(expected);
    }
    expect(paths).not.toContain('head/bn2/beta'); // the output BN has no centre
    const excluded = (name: string) => ['bias', 'beta', 'gamma'].some((s) => name.includes(s));
    for (const p of model.parameters()) {
      expect(model.pathOf(p.variable)).toBe(p.path);
      expect(p.variable.name.endsWith(`/${p.path}`)).toBe(true);
      if (p.trainable) expect(excluded(p.variable.name)).toBe(!p.path.endsWith('/kernel'));
      else expect(p.path).toMatch(/\/moving(Mean|Variance)$/);
    }
    expect(model.trainableVariables().every((v) => v.trainable)).toBe(true);
  });

  it('is deterministic under the seed', () => {
    const a = track(new SimclrModel(tiny, 7));
    const b = track(new SimclrModel(tiny, 7));
    const c = track(new SimclrModel(tiny, 8));
    const wa = a.getWeights();
    const wb = b.getWeights();
    const wc = c.getWeights();
    const kernel = 'encoder/block1_1/conv1/kernel';
    expect(Array.from(wa[kernel].data)).toEqual(Array.from(wb[kernel].data));
    expect(Array.from(wa[kernel].data)).not.toEqual(Array.from(wc[kernel].data));
    const x = images(2, 3);
    expect(values(a.project(track(a.encode(x, false)), false))).toEqual(values(b.project(track(b.encode(x, false)), false)));
  });

  it('getWeights/setWeights round-trip reproduces outputs exactly, moving statistics included', async () => {
    const source = track(new SimclrModel(tiny, 1));
    const x = images(4, 4);
    // Train-mode passes move the moving statistics away from their initial values.
    tf.dispose(source.project(track(source.encode(x, true)), true));
    const weights = source.getWeights();
    expect(weights['encoder/stem/bn/movingMean'].data.some((v) => v !== 0)).toBe(true);
    expect(Object.keys(weights)).toHaveLength(source.parameters().length);

    const target = track(new SimclrModel(tiny, 2));
    target.setWeights(weights);
    const expected = values(source.project(track(source.encode(x, false)), false));
    expect(values(target.project(track(target.encode(x, false)), false))).toEqual(expected);

    const viaAsync = await source.getWeightsAsync();
    expect(Array.from(viaAsync['head/dense1/kernel'].data)).toEqual(Array.from(weights['head/dense1/kernel'].data));

    const other = track(new SimclrModel({ ...tiny, projectionDim: 5 }, 1));
    expect(() => other.setWeights(weights)).toThrow(/head\/dense2\/kernel" has shape \[32,6\], expected \[32,5\]/);
  });

  it('exposes the config-driven spec', () => {
    const spec = modelSpecFromConfig(parseRunConfig({ dataset: { imageSize: 28 }, model: { depth: 50, skRatio: 0.0625 } }));
    expect(spec).toEqual({ depth: 50, widthMultiplier: 0.25, skRatio: 0.0625, imageSize: 28, projectionLayers: 3, projectionDim: 128 });
  });
});

describe('Classifier', () => {
  it('fromPretrained copies the encoder and first k head layers without aliasing the source', () => {
    const source = track(new SimclrModel(tiny, 1));
    const x = images(3, 5);
    tf.dispose(source.encode(x, true)); // non-trivial moving statistics to copy
    for (const k of [0, 1, 3]) {
      const clf = track(Classifier.fromPretrained(source, k, 10, 11));
      expect(clf.featureWidth).toBe(k === 3 ? 6 : 32);
      const expected = values(source.projectUpTo(track(source.encode(x, false)), k, false));
      expect(values(clf.features(x, false))).toEqual(expected);
      const logits = track(clf.logits(x, false));
      expect(logits.shape).toEqual([3, 10]);
      const paths = clf.parameters().map((p) => p.path);
      expect(paths).toContain('classifier/kernel');
      expect(paths).toContain('classifier/bias');
      expect(paths.filter((p) => p.startsWith('head/dense'))).toHaveLength(k);
    }

    const clf = track(Classifier.fromPretrained(source, 1, 10, 11));
    const before = values(clf.features(x, false));
    const sourceNames = new Set(source.parameters().map((p) => p.variable.name));
    expect(clf.parameters().some((p) => sourceNames.has(p.variable.name))).toBe(false);
    // Changing (then disposing) the source leaves the copy untouched.
    source.setWeights(track(new SimclrModel(tiny, 99)).getWeights());
    expect(values(clf.features(x, false))).toEqual(before);
    source.dispose();
    expect(values(clf.features(x, false))).toEqual(before);
  });

  it('fromScratch with the same seed gives the same linear layer as fromPretrained; k is validated', () => {
    const source = track(new SimclrModel(tiny, 1));
    const a = track(Classifier.fromPretrained(source, 1, 4, 5)).getWeights();
    const b = track(Classifier.fromScratch(tiny, 1, 4, 5)).getWeights();
    expect(Array.from(a['classifier/kernel'].data)).toEqual(Array.from(b['classifier/kernel'].data));
    expect(Array.from(a['classifier/bias'].data)).toEqual([0, 0, 0, 0]);
    expect(() => Classifier.fromScratch(tiny, 4, 4, 5)).toThrow(/Cannot keep 4 projection layers of a head with 3/);
  });
});

/** Sets every zero-initialised gamma to 0.5 so that gradients reach every residual branch. */
function wakeResidualBranches(model: SimclrModel | Classifier): void {
  for (const p of model.parameters()) {
    if (p.path.endsWith('/gamma')) tf.tidy(() => p.variable.assign(tf.fill(p.variable.shape, 0.5)));
  }
}

describe('gradients', () => {
  for (const spec of [tiny, tinySk]) {
    it(`reach every trainable variable of a SimclrModel (depth ${spec.depth}${spec.skRatio > 0 ? ' + SK' : ''}) and move the BN statistics`, () => {
      const model = track(new SimclrModel(spec, 3));
      wakeResidualBranches(model);
      const x = images(4, 6);
      const weights = track(tf.randomNormal([4, model.outputDim], 0, 1, 'float32', 7));
      const meanBefore = Array.from(
        model
          .parameters()
          .find((p) => p.path === 'encoder/stem/bn/movingMean')!
          .variable.dataSync(),
      );
      const { value, grads } = tf.variableGrads(
        () => tf.sum(tf.mul(model.project(model.encode(x, true), true), weights)) as tf.Scalar,
        model.trainableVariables(),
      );
      expect(Number.isFinite(value.dataSync()[0])).toBe(true);
      for (const v of model.trainableVariables()) {
        const g = grads[v.name];
        expect(g, `gradient of ${model.pathOf(v)}`).toBeDefined();
        const data = g.dataSync();
        expect(data.every(Number.isFinite), `finite gradient of ${model.pathOf(v)}`).toBe(true);
        expect(
          data.some((d) => d !== 0),
          `non-zero gradient of ${model.pathOf(v)}`,
        ).toBe(true);
      }
      const meanAfter = Array.from(
        model
          .parameters()
          .find((p) => p.path === 'encoder/stem/bn/movingMean')!
          .variable.dataSync(),
      );
      expect(meanAfter).not.toEqual(meanBefore);
      tf.dispose([value, ...Object.values(grads)]);
    });
  }

  it('reach the classifier, and repeated training steps leak no tensors', () => {
    const clf = track(Classifier.fromScratch(tiny, 1, 3, 2));
    wakeResidualBranches(clf);
    const x = images(4, 8);
    const labels = track(tf.oneHot(tf.tensor1d([0, 1, 2, 0], 'int32'), 3));
    const optimizer = tf.train.sgd(0.01);
    const step = () =>
      optimizer.minimize(() => tf.losses.softmaxCrossEntropy(labels, clf.logits(x, true)) as tf.Scalar, true, clf.trainableVariables());
    const { grads } = tf.variableGrads(
      () => tf.losses.softmaxCrossEntropy(labels, clf.logits(x, true)) as tf.Scalar,
      clf.trainableVariables(),
    );
    expect(Object.keys(grads)).toHaveLength(clf.trainableVariables().length);
    tf.dispose(Object.values(grads));

    const first = step();
    first?.dispose();
    const baseline = tf.memory().numTensors;
    const losses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const loss = step();
      losses.push(loss!.dataSync()[0]);
      loss?.dispose();
      tf.dispose(clf.logits(x, false));
      tf.dispose(clf.features(x, true));
    }
    expect(tf.memory().numTensors).toBe(baseline);
    expect(losses[2]).toBeLessThan(losses[0]);
    optimizer.dispose();
  });
});
