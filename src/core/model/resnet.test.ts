import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../random';
import { countParameters } from './index';
import { ParameterStore } from './parameters';
import { BATCH_NORM_EPSILON } from './layers';
import { BasicBlock, BottleneckBlock, type EncoderSpec, type ResnetDepth, ResnetEncoder, SelectiveKernelConv, encoderFeatureDim } from './resnet';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function images(n: number, size: number, seed: number): tf.Tensor4D {
  return tf.randomUniform([n, size, size, 3], 0, 1, 'float32', seed) as tf.Tensor4D;
}

function encodeOnce(spec: EncoderSpec, x: tf.Tensor4D): { shape: number[]; featureDim: number; finite: boolean; params: number } {
  const store = new ParameterStore('test');
  try {
    const encoder = new ResnetEncoder(store, 'encoder', spec, new Rng(1));
    const h = tf.tidy(() => encoder.apply(x, false));
    const finite = Array.from(h.dataSync()).every(Number.isFinite);
    const shape = h.shape;
    h.dispose();
    return { shape, featureDim: encoder.featureDim, finite, params: store.parameterCount() };
  } finally {
    store.dispose();
  }
}

describe('ResnetEncoder shapes', () => {
  // w = 1/16: stage widths 4, 8, 16, 32; bottleneck output 4 × 32.
  const cases: [ResnetDepth, number][] = [
    [18, 32],
    [34, 32],
    [50, 128],
    [101, 128],
    [152, 128],
  ];
  for (const [depth, featureDim] of cases) {
    it(`ResNet-${depth} (w=1/16, CIFAR stem) maps 2×16×16×3 to 2×${featureDim}`, () => {
      const spec: EncoderSpec = { depth, widthMultiplier: 0.0625, skRatio: 0, imageSize: 16 };
      const x = images(2, 16, depth);
      const result = encodeOnce(spec, x);
      x.dispose();
      expect(result.shape).toEqual([2, featureDim]);
      expect(result.featureDim).toBe(featureDim);
      expect(encoderFeatureDim(spec)).toBe(featureDim);
      expect(result.finite).toBe(true);
    });
  }

  it('uses the ImageNet stem (7x7/2 conv + max-pool) above 64 px', () => {
    const x = images(1, 72, 5);
    const result = encodeOnce({ depth: 18, widthMultiplier: 0.0625, skRatio: 0, imageSize: 72 }, x);
    x.dispose();
    expect(result.shape).toEqual([1, 32]);
    const store = new ParameterStore('test');
    new ResnetEncoder(store, 'encoder', { depth: 18, widthMultiplier: 0.0625, skRatio: 0, imageSize: 72 }, new Rng(1));
    const stemKernel = store.list().find((p) => p.path === 'encoder/stem/conv/kernel');
    expect(stemKernel?.variable.shape).toEqual([7, 7, 3, 4]);
    store.dispose();
  });

  it('rejects an unsupported depth and non-image input with clear messages', () => {
    const store = new ParameterStore('test');
    expect(() => new ResnetEncoder(store, 'e', { depth: 20 as ResnetDepth, widthMultiplier: 1, skRatio: 0, imageSize: 32 }, new Rng(1))).toThrow(
      /Unsupported ResNet depth 20/,
    );
    const encoder = new ResnetEncoder(store, 'e', { depth: 18, widthMultiplier: 0.0625, skRatio: 0, imageSize: 8 }, new Rng(1));
    const x = tf.zeros([1, 8, 8, 1]) as tf.Tensor4D;
    expect(() => encoder.apply(x, false)).toThrow(/N×H×W×3/);
    x.dispose();
    store.dispose();
  });
});

describe('parameter counts', () => {
  // torchvision: resnet50 25,557,032 and resnet18 11,689,512 parameters including the 1000-class fc
  // (2048·1000+1000 and 512·1000+1000); conv body + BN alone is what remains.
  it('ResNet-50 (w=1, ImageNet stem) has 23,508,032 encoder parameters', () => {
    const counts = countParameters({ depth: 50, widthMultiplier: 1, skRatio: 0, imageSize: 224, projectionLayers: 0, projectionDim: 128 });
    expect(counts.encoder).toBe(25_557_032 - (2048 * 1000 + 1000));
    expect(counts.head).toBe(0);
  });

  it('ResNet-18 (w=1, ImageNet stem) has 11,176,512 encoder parameters and a v2 head of the expected size', () => {
    const counts = countParameters({ depth: 18, widthMultiplier: 1, skRatio: 0, imageSize: 224, projectionLayers: 3, projectionDim: 128 });
    expect(counts.encoder).toBe(11_689_512 - (512 * 1000 + 1000));
    // Two hidden 512→512 layers (kernel, gamma, beta) and 512→128 (kernel, gamma; no beta).
    expect(counts.head).toBe(2 * (512 * 512 + 2 * 512) + (512 * 128 + 128));
  });

  it('the CIFAR stem swaps the 7x7 conv for a 3x3 one', () => {
    const imagenet = countParameters({ depth: 18, widthMultiplier: 0.5, skRatio: 0, imageSize: 224, projectionLayers: 0, projectionDim: 128 });
    const cifar = countParameters({ depth: 18, widthMultiplier: 0.5, skRatio: 0, imageSize: 32, projectionLayers: 0, projectionDim: 128 });
    expect(imagenet.encoder - cifar.encoder).toBe((7 * 7 - 3 * 3) * 3 * 32);
  });
});

describe('residual blocks', () => {
  it('start as their (identity) shortcut because the last BN has gamma = 0', () => {
    const store = new ParameterStore('test');
    const basic = new BasicBlock(store, 'basic', 4, 4, 1, new Rng(1));
    const bottleneck = new BottleneckBlock(store, 'bottleneck', 8, 2, 1, 0, new Rng(2));
    const sk = new BottleneckBlock(store, 'sk', 8, 2, 1, 0.0625, new Rng(3));
    const x4 = tf.relu(tf.randomNormal([2, 6, 6, 4], 0, 1, 'float32', 4)) as tf.Tensor4D;
    const x8 = tf.relu(tf.randomNormal([2, 6, 6, 8], 0, 1, 'float32', 5)) as tf.Tensor4D;
    for (const training of [false, true]) {
      tf.tidy(() => {
        tf.test_util.expectArraysClose(basic.apply(x4, training).dataSync(), x4.dataSync(), 1e-6);
        tf.test_util.expectArraysClose(bottleneck.apply(x8, training).dataSync(), x8.dataSync(), 1e-6);
        tf.test_util.expectArraysClose(sk.apply(x8, training).dataSync(), x8.dataSync(), 1e-6);
      });
    }
    // ...and stop being so once gamma moves.
    const gamma = store.list().find((p) => p.path === 'basic/bn2/gamma')!.variable;
    gamma.assign(tf.onesLike(gamma));
    const y = basic.apply(x4, true);
    expect(tf.max(tf.abs(tf.sub(y, x4))).dataSync()[0]).toBeGreaterThan(1e-2);
    tf.dispose([x4, x8, y]);
    store.dispose();
  });

  it('add a projection shortcut only where the shape changes', () => {
    const store = new ParameterStore('test');
    new BasicBlock(store, 'same', 4, 4, 1, new Rng(1));
    new BasicBlock(store, 'strided', 4, 4, 2, new Rng(1));
    new BottleneckBlock(store, 'wider', 4, 4, 1, 0, new Rng(1));
    const shortcuts = store
      .list()
      .map((p) => p.path)
      .filter((p) => p.includes('/shortcut/conv/kernel'));
    expect(shortcuts).toEqual(['strided/shortcut/conv/kernel', 'wider/shortcut/conv/kernel']);
    store.dispose();
  });
});

describe('selective kernels', () => {
  const spec: EncoderSpec = { depth: 50, widthMultiplier: 0.0625, skRatio: 0.0625, imageSize: 16 };

  it('SK ResNet-50 runs, has the SK variables and more parameters than without SK', () => {
    const x = images(2, 16, 3);
    const withSk = encodeOnce(spec, x);
    const without = encodeOnce({ ...spec, skRatio: 0 }, x);
    x.dispose();
    expect(withSk.shape).toEqual([2, 128]);
    expect(withSk.finite).toBe(true);
    expect(withSk.params).toBeGreaterThan(without.params);

    const store = new ParameterStore('test');
    new ResnetEncoder(store, 'encoder', spec, new Rng(1));
    const shapes = new Map(store.list().map((p) => [p.path, p.variable.shape]));
    // Stage 1 (4 channels): one conv to 2·4 channels, attention via mid = max(4·0.0625, 32) = 32.
    expect(shapes.get('encoder/block1_1/sk/conv/kernel')).toEqual([3, 3, 4, 8]);
    expect(shapes.get('encoder/block1_1/sk/fuse/kernel')).toEqual([4, 32]);
    expect(shapes.get('encoder/block1_1/sk/select/kernel')).toEqual([32, 8]);
    expect(shapes.has('encoder/block1_1/conv2/kernel')).toBe(false);
    // ResNet-D shortcut: a stride-1 1x1 conv after average pooling.
    expect(shapes.get('encoder/block2_1/shortcut/conv/kernel')).toEqual([1, 1, 16, 32]);
    store.dispose();
  });

  it('SK nets use the ResNet-D stem above 64 px; basic-block nets ignore skRatio', () => {
    const x = images(1, 72, 3);
    const result = encodeOnce({ ...spec, imageSize: 72 }, x);
    x.dispose();
    expect(result.shape).toEqual([1, 128]);
    const store = new ParameterStore('test');
    new ResnetEncoder(store, 'encoder', { ...spec, imageSize: 72 }, new Rng(1));
    const paths = store.list().map((p) => p.path);
    expect(paths).toContain('encoder/stem/conv3/kernel');
    store.dispose();
    const basic = countParameters({ depth: 18, widthMultiplier: 0.25, skRatio: 0.0625, imageSize: 32, projectionLayers: 0, projectionDim: 8 });
    const plain = countParameters({ depth: 18, widthMultiplier: 0.25, skRatio: 0, imageSize: 32, projectionLayers: 0, projectionDim: 8 });
    expect(basic.encoder).toBe(plain.encoder);
  });

  it('SelectiveKernelConv mixes its two branches with a softmax attention (reference computation)', () => {
    const store = new ParameterStore('test');
    const sk = new SelectiveKernelConv(store, 'sk', 3, 2, 1, 0.5, new Rng(4));
    // Non-trivial BN affine parameters so the reference has to apply them.
    for (const p of store.list()) {
      if (p.path.endsWith('/gamma')) p.variable.assign(tf.randomUniform(p.variable.shape, 0.5, 1.5, 'float32', 1));
      if (p.path.endsWith('/beta')) p.variable.assign(tf.randomUniform(p.variable.shape, -0.5, 0.5, 'float32', 2));
    }
    const w = new Map(store.list().map((p) => [p.path, p.variable as tf.Tensor]));
    const x = tf.randomNormal([2, 5, 5, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    const actual = tf.tidy(() => sk.apply(x, false));
    const expected = tf.tidy(() => {
      const bnEval = (t: tf.Tensor, name: string) =>
        tf.add(tf.mul(tf.div(t, Math.sqrt(1 + BATCH_NORM_EPSILON)), w.get(`${name}/gamma`)!), w.get(`${name}/beta`)!);
      const both = tf.relu(bnEval(tf.conv2d(x, w.get('sk/conv/kernel') as tf.Tensor4D, 1, 'same'), 'sk/bn'));
      const a = tf.slice(both, [0, 0, 0, 0], [2, 5, 5, 2]);
      const b = tf.slice(both, [0, 0, 0, 2], [2, 5, 5, 2]);
      const pooled = tf.mean(tf.add(a, b), [1, 2]);
      const mid = tf.relu(bnEval(tf.matMul(pooled, w.get('sk/fuse/kernel') as tf.Tensor2D), 'sk/fuseBn'));
      const logits = tf.matMul(mid, w.get('sk/select/kernel') as tf.Tensor2D); // [N, 4]: branch a then b
      const attention = tf.softmax(tf.stack([tf.slice(logits, [0, 0], [2, 2]), tf.slice(logits, [0, 2], [2, 2])], 2)); // [N, C, 2]
      const weightA = tf.reshape(tf.slice(attention, [0, 0, 0], [2, 2, 1]), [2, 1, 1, 2]);
      const weightB = tf.reshape(tf.slice(attention, [0, 0, 1], [2, 2, 1]), [2, 1, 1, 2]);
      return tf.add(tf.mul(a, weightA), tf.mul(b, weightB));
    });
    expect(w.get('sk/fuse/kernel')!.shape).toEqual([2, 32]); // mid = max(floor(2·0.5), 32)
    tf.test_util.expectArraysClose(actual.dataSync(), expected.dataSync(), 1e-4);
    tf.dispose([x, actual, expected]);
    store.dispose();
  });
});
