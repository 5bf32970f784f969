import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../random';
import { countParameters } from './index';
import { ParameterStore } from './parameters';
import { BATCH_NORM_EPSILON } from './layers';
import {
  BasicBlock,
  type BlockSpec,
  BottleneckBlock,
  type EncoderSpec,
  type ResnetDepth,
  ResnetEncoder,
  SelectiveKernelConv,
  encoderFeatureDim,
  stageChannels,
  usesCifarStem,
} from './resnet';

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

  it('rejects an unsupported depth, a negative skRatio and non-image input with clear messages', () => {
    const store = new ParameterStore('test');
    expect(
      () => new ResnetEncoder(store, 'e', { depth: 20 as ResnetDepth, widthMultiplier: 1, skRatio: 0, imageSize: 32 }, new Rng(1)),
    ).toThrow(/Unsupported ResNet depth 20/);
    expect(() => new ResnetEncoder(store, 'n', { depth: 18, widthMultiplier: 1, skRatio: -1, imageSize: 32 }, new Rng(1))).toThrow(
      /skRatio must be ≥ 0, got -1/,
    );
    const encoder = new ResnetEncoder(store, 'e', { depth: 18, widthMultiplier: 0.0625, skRatio: 0, imageSize: 8 }, new Rng(1));
    const x = tf.zeros([1, 8, 8, 1]) as tf.Tensor4D;
    expect(() => encoder.apply(x, false)).toThrow(/N×H×W×3/);
    x.dispose();
    store.dispose();
  });
});

/** Shapes of every variable an encoder registers, keyed by path. */
function variableShapes(spec: EncoderSpec): Map<string, number[]> {
  const store = new ParameterStore('test');
  try {
    new ResnetEncoder(store, 'encoder', spec, new Rng(1));
    return new Map(store.list().map((p) => [p.path, p.variable.shape]));
  } finally {
    store.dispose();
  }
}

/** Spatial side of the stem output and of each stage's output. */
function featureMapSides(spec: EncoderSpec): { stem: number; stages: number[] } {
  const store = new ParameterStore('test');
  const x = images(1, spec.imageSize, 2);
  try {
    const encoder = new ResnetEncoder(store, 'encoder', spec, new Rng(1));
    const { stem, stages } = encoder.featureMaps(x, false);
    const sides = { stem: stem.shape[1], stages: stages.map((t) => t.shape[1]) };
    expect(stages.map((t) => t.shape[2])).toEqual(sides.stages); // square maps
    tf.dispose([stem, ...stages]);
    return sides;
  } finally {
    x.dispose();
    store.dispose();
  }
}

describe('stageChannels', () => {
  it('gives the widths the encoder builds: rounded, at least 1', () => {
    expect(stageChannels(1)).toEqual([64, 128, 256, 512]);
    expect(stageChannels(0.0625)).toEqual([4, 8, 16, 32]);
    expect(stageChannels(0.3)).toEqual([19, 38, 77, 154]);
    expect(stageChannels(0.001)).toEqual([1, 1, 1, 1]);
    const store = new ParameterStore('widths');
    try {
      const encoder = new ResnetEncoder(store, 'encoder', { depth: 18, widthMultiplier: 0.3, skRatio: 0, imageSize: 16 }, new Rng(1));
      // ResNet-18: two blocks a stage; each stage's first block carries its width.
      expect([0, 2, 4, 6].map((i) => encoder.blocks[i].outChannels)).toEqual(stageChannels(0.3));
    } finally {
      store.dispose();
    }
  });
});

describe('stem (official rule: CIFAR stem iff image_size ≤ 32)', () => {
  it('the threshold is 32 px', () => {
    expect([8, 28, 32, 33, 64, 224].map(usesCifarStem)).toEqual([true, true, true, false, false, false]);
  });

  // w = 1/16: 64w = 4 stem channels, 32w = 2 for the ResNet-D stem.
  const cases: { imageSize: number; skRatio: number; kernels: Record<string, number[]>; stem: number; stages: number[] }[] = [
    { imageSize: 32, skRatio: 0, kernels: { 'encoder/stem/conv/kernel': [3, 3, 3, 4] }, stem: 32, stages: [32, 16, 8, 4] },
    { imageSize: 28, skRatio: 0.0625, kernels: { 'encoder/stem/conv/kernel': [3, 3, 3, 4] }, stem: 28, stages: [28, 14, 7, 4] },
    // 33..64 px used to get the CIFAR stem here; the official code gives them the ImageNet one.
    { imageSize: 64, skRatio: 0, kernels: { 'encoder/stem/conv/kernel': [7, 7, 3, 4] }, stem: 16, stages: [16, 8, 4, 2] },
    { imageSize: 33, skRatio: 0, kernels: { 'encoder/stem/conv/kernel': [7, 7, 3, 4] }, stem: 9, stages: [9, 5, 3, 2] },
    {
      imageSize: 64,
      skRatio: 0.0625,
      kernels: {
        'encoder/stem/conv1/kernel': [3, 3, 3, 2],
        'encoder/stem/conv2/kernel': [3, 3, 2, 2],
        'encoder/stem/conv3/kernel': [3, 3, 2, 4],
      },
      stem: 16,
      stages: [16, 8, 4, 2],
    },
  ];
  for (const depth of [18, 50] as ResnetDepth[]) {
    for (const c of cases) {
      it(`ResNet-${depth}, ${c.imageSize} px, skRatio ${c.skRatio}: stem ${Object.values(c.kernels)
        .map((k) => k.slice(0, 2).join('x'))
        .join(' + ')}, maps ${c.stem} → ${c.stages.join('/')}`, () => {
        const spec: EncoderSpec = { depth, widthMultiplier: 0.0625, skRatio: c.skRatio, imageSize: c.imageSize };
        const shapes = variableShapes(spec);
        const stemKernels = Object.fromEntries(
          [...shapes].filter(([path]) => path.startsWith('encoder/stem/') && path.endsWith('/kernel')),
        );
        expect(stemKernels).toEqual(c.kernels);
        expect(featureMapSides(spec)).toEqual({ stem: c.stem, stages: c.stages });
      });
    }
  }
});

describe('shortcuts (official BlockGroup: a projection in the first block of every stage)', () => {
  // w = 1/16: stage widths 4, 8, 16, 32 (×4 for bottleneck outputs); stem width 4.
  const expected: Record<ResnetDepth, number[][]> = {
    18: [
      [1, 1, 4, 4],
      [1, 1, 4, 8],
      [1, 1, 8, 16],
      [1, 1, 16, 32],
    ],
    34: [
      [1, 1, 4, 4],
      [1, 1, 4, 8],
      [1, 1, 8, 16],
      [1, 1, 16, 32],
    ],
    50: [
      [1, 1, 4, 16],
      [1, 1, 16, 32],
      [1, 1, 32, 64],
      [1, 1, 64, 128],
    ],
    101: [
      [1, 1, 4, 16],
      [1, 1, 16, 32],
      [1, 1, 32, 64],
      [1, 1, 64, 128],
    ],
    152: [
      [1, 1, 4, 16],
      [1, 1, 16, 32],
      [1, 1, 32, 64],
      [1, 1, 64, 128],
    ],
  };
  for (const depth of [18, 34, 50, 101, 152] as ResnetDepth[]) {
    for (const skRatio of [0, 0.0625]) {
      it(`ResNet-${depth}${skRatio > 0 ? ' + SK' : ''}: one projection per stage, in block<stage>_1, of the expected shape`, () => {
        const shapes = variableShapes({ depth, widthMultiplier: 0.0625, skRatio, imageSize: 16 });
        const kernels = [...shapes].filter(([path]) => path.includes('/shortcut/') && path.endsWith('/kernel'));
        expect(kernels.map(([path]) => path)).toEqual([1, 2, 3, 4].map((stage) => `encoder/block${stage}_1/shortcut/conv/kernel`));
        expect(kernels.map(([, shape]) => shape)).toEqual(expected[depth]);
        // Every projection has its BN (gamma, beta and the two moving statistics).
        expect([...shapes.keys()].filter((path) => path.includes('/shortcut/bn/'))).toHaveLength(4 * 4);
      });
    }
  }

  it('an identity shortcut where the shape changes is refused, naming the block', () => {
    const store = new ParameterStore('test');
    const spec: BlockSpec = { inChannels: 4, channels: 4, stride: 2, projection: false, skRatio: 0 };
    expect(() => new BasicBlock(store, 'b', spec, new Rng(1))).toThrow(
      /Block b: an identity shortcut needs stride 1 and equal widths \(got stride 2, 4 → 4/,
    );
    expect(() => new BottleneckBlock(store, 'c', { ...spec, stride: 1 }, new Rng(1))).toThrow(/Block c: .*4 → 16 channels/);
    store.dispose();
  });
});

/**
 * Trainable parameters of the official tf2/resnet.py encoder, counted from its layer definitions
 * (conv kernels without bias, BN gamma + beta), independently of the classes under test.
 */
function officialEncoderParameters(depth: ResnetDepth, w: number, skRatio: number, imageSize: number): number {
  const layers: Record<ResnetDepth, number[]> = {
    18: [2, 2, 2, 2],
    34: [3, 4, 6, 3],
    50: [3, 4, 6, 3],
    101: [3, 4, 23, 3],
    152: [3, 8, 36, 3],
  };
  const bottleneck = depth >= 50;
  const conv = (k: number, cin: number, cout: number) => k * k * cin * cout;
  const bn = (c: number) => 2 * c;
  let n = 0;
  if (imageSize <= 32) n += conv(3, 3, 64 * w) + bn(64 * w);
  else if (skRatio > 0) n += conv(3, 3, 32 * w) + bn(32 * w) + conv(3, 32 * w, 32 * w) + bn(32 * w) + conv(3, 32 * w, 64 * w) + bn(64 * w);
  else n += conv(7, 3, 64 * w) + bn(64 * w);
  let cin = 64 * w;
  layers[depth].forEach((blocks, stage) => {
    const f = [64, 128, 256, 512][stage] * w;
    const out = bottleneck ? 4 * f : f;
    for (let i = 0; i < blocks; i++) {
      if (i === 0) n += conv(1, cin, out) + bn(out);
      if (!bottleneck) n += conv(3, cin, f) + bn(f) + conv(3, f, f) + bn(f);
      else {
        n += conv(1, cin, f) + bn(f) + conv(1, f, out) + bn(out);
        if (skRatio > 0) {
          const mid = Math.max(Math.floor(f * skRatio), 32);
          n += conv(3, f, 2 * f) + bn(2 * f) + conv(1, f, mid) + bn(mid) + conv(1, mid, 2 * f);
        } else n += conv(3, f, f) + bn(f);
      }
      cin = out;
    }
  });
  return n;
}

describe('parameter counts', () => {
  it('the independent count reproduces the SimCLRv2 paper (Table 1, millions of parameters)', () => {
    const paper: [ResnetDepth, number, boolean, number][] = [
      [50, 1, false, 24],
      [50, 1, true, 35],
      [50, 2, true, 140],
      [101, 2, true, 257],
      [152, 1, false, 58],
      [152, 3, true, 795],
    ];
    for (const [depth, w, sk, millions] of paper) {
      expect(Math.round(officialEncoderParameters(depth, w, sk ? 0.0625 : 0, 224) / 1e6), `ResNet-${depth} ${w}x${sk ? '+SK' : ''}`).toBe(
        millions,
      );
    }
  });

  const configs: [ResnetDepth, number, number, number][] = [
    [18, 1, 0, 224],
    [34, 0.5, 0, 32],
    [18, 0.5, 0.0625, 64],
    [34, 0.25, 0.0625, 32],
    [50, 1, 0, 224],
    [50, 1, 0.0625, 224],
    [101, 0.25, 0.0625, 32],
  ];
  for (const [depth, w, skRatio, imageSize] of configs) {
    it(`ResNet-${depth} w=${w} skRatio=${skRatio} at ${imageSize} px matches the official architecture`, () => {
      const counts = countParameters({ depth, widthMultiplier: w, skRatio, imageSize, projectionLayers: 0, projectionDim: 128 });
      expect(counts.encoder).toBe(officialEncoderParameters(depth, w, skRatio, imageSize));
    });
  }

  it("ResNet-18 (w=1) is torchvision's plus the block1_1 projection; ResNet-50 equals torchvision's", () => {
    // torchvision resnet18 11,689,512 and resnet50 25,557,032 including the 1000-class fc.
    const r18 = countParameters({ depth: 18, widthMultiplier: 1, skRatio: 0, imageSize: 224, projectionLayers: 3, projectionDim: 128 });
    expect(r18.encoder).toBe(11_689_512 - (512 * 1000 + 1000) + (64 * 64 + 2 * 64));
    // Two hidden 512→512 layers (kernel, gamma, beta) and 512→128 (kernel, gamma; no beta).
    expect(r18.head).toBe(2 * (512 * 512 + 2 * 512) + (512 * 128 + 128));
    const r50 = countParameters({ depth: 50, widthMultiplier: 1, skRatio: 0, imageSize: 224, projectionLayers: 0, projectionDim: 128 });
    expect(r50.encoder).toBe(25_557_032 - (2048 * 1000 + 1000));
  });
});

/** BN in inference mode with fresh statistics (mean 0, variance 1) and gamma 1, beta 0. */
const freshBn = (v: number) => v / Math.sqrt(1 + BATCH_NORM_EPSILON);

/** Plain-array reference of a projection shortcut on a [1,H,W,C] input: optional ResNet-D pooling, 1x1 conv, fresh BN. */
function referenceShortcut(x: number[][][], kernel: number[][], stride: number, resnetD: boolean): number[][][] {
  const h = x.length;
  const at = (i: number, j: number) => (i < h && j < h ? x[i][j] : null);
  const outSide = Math.ceil(h / stride);
  const out: number[][][] = [];
  for (let i = 0; i < outSide; i++) {
    out.push([]);
    for (let j = 0; j < outSide; j++) {
      let pixel: number[];
      if (!resnetD) pixel = x[i * stride][j * stride];
      else {
        // stride 2: zero padding at the end then 2x2 'valid' pooling (zeros count);
        // stride 1: 2x2 'same' pooling (padding does not count), as the official code.
        const window = [
          at(i * stride, j * stride),
          at(i * stride, j * stride + 1),
          at(i * stride + 1, j * stride),
          at(i * stride + 1, j * stride + 1),
        ];
        const present = window.filter((p): p is number[] => p !== null);
        const divisor = stride > 1 ? 4 : present.length;
        pixel = x[0][0].map((_, c) => present.reduce((s, p) => s + p[c], 0) / divisor);
      }
      out[i].push(kernel[0].map((_, o) => freshBn(pixel.reduce((s, v, c) => s + v * kernel[c][o], 0))));
    }
  }
  return out;
}

describe('residual blocks', () => {
  it('without a projection start as their identity shortcut because the last BN has gamma = 0', () => {
    const store = new ParameterStore('test');
    const basic = new BasicBlock(store, 'basic', { inChannels: 4, channels: 4, stride: 1, projection: false, skRatio: 0 }, new Rng(1));
    const bottleneck = new BottleneckBlock(
      store,
      'bottleneck',
      { inChannels: 8, channels: 2, stride: 1, projection: false, skRatio: 0 },
      new Rng(2),
    );
    const sk = new BottleneckBlock(store, 'sk', { inChannels: 8, channels: 2, stride: 1, projection: false, skRatio: 0.0625 }, new Rng(3));
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

  // With the residual branch's last gamma at 0 a block outputs relu(shortcut(x)), which the
  // plain-array reference computes: strided 1x1 conv, or ResNet-D average pooling first when skRatio > 0.
  const shortcutCases: {
    name: string;
    make: (store: ParameterStore, spec: BlockSpec) => { apply(x: tf.Tensor4D, t: boolean): tf.Tensor4D };
    out: (c: number) => number;
  }[] = [
    { name: 'BasicBlock', make: (store, spec) => new BasicBlock(store, 'block', spec, new Rng(7)), out: (c) => c },
    { name: 'BottleneckBlock', make: (store, spec) => new BottleneckBlock(store, 'block', spec, new Rng(7)), out: (c) => 4 * c },
  ];
  for (const { name, make, out } of shortcutCases) {
    for (const stride of [1, 2]) {
      for (const skRatio of [0, 0.0625]) {
        it(`${name}, stride ${stride}, skRatio ${skRatio}: projection = ${skRatio > 0 ? 'avg-pool + ' : ''}1x1 conv${skRatio > 0 ? '' : ` stride ${stride}`} + BN (reference)`, () => {
          const store = new ParameterStore('test');
          const block = make(store, { inChannels: 3, channels: 2, stride, projection: true, skRatio });
          const x = tf.randomUniform([1, 5, 5, 3], 0, 1, 'float32', 11) as tf.Tensor4D;
          const y = block.apply(x, false);
          const kernel = store.list().find((p) => p.path === 'block/shortcut/conv/kernel')!.variable;
          expect(kernel.shape).toEqual([1, 1, 3, out(2)]);
          const expected = referenceShortcut(
            x.arraySync()[0],
            (tf.reshape(kernel, [3, out(2)]) as tf.Tensor2D).arraySync(),
            stride,
            skRatio > 0,
          );
          const side = stride === 1 ? 5 : 3;
          expect(y.shape).toEqual([1, side, side, out(2)]);
          tf.test_util.expectArraysClose(
            y.dataSync(),
            expected.flat(2).map((v) => Math.max(0, v)),
            1e-5,
          );
          tf.dispose([x, y]);
          store.dispose();
        });
      }
    }
  }
});

describe('checkpoints of another architecture', () => {
  it('fail to load with the mismatching variable named (e.g. one from before ResNet-18 had a block1_1 projection)', () => {
    const spec: EncoderSpec = { depth: 18, widthMultiplier: 0.0625, skRatio: 0, imageSize: 16 };
    const source = new ParameterStore('old');
    new ResnetEncoder(source, 'encoder', spec, new Rng(1));
    const weights = source.getWeights();
    source.dispose();
    const old = Object.fromEntries(Object.entries(weights).filter(([path]) => !path.startsWith('encoder/block1_1/shortcut/')));
    const target = new ParameterStore('new');
    new ResnetEncoder(target, 'encoder', spec, new Rng(2));
    expect(() => target.setWeights(old)).toThrow(/missing weight "encoder\/block1_1\/shortcut\/conv\/kernel".*different architecture/);
    // An old 33–64 px checkpoint had the 3x3 CIFAR stem where the 7x7 one is now.
    const big = new ParameterStore('big');
    new ResnetEncoder(big, 'encoder', { ...spec, imageSize: 48 }, new Rng(2));
    const cifarStem = { ...weights, 'encoder/stem/conv/kernel': weights['encoder/stem/conv/kernel'] };
    expect(() => big.setWeights(cifarStem)).toThrow(/weight "encoder\/stem\/conv\/kernel" has shape \[3,3,3,4\], expected \[7,7,3,4\]/);
    target.dispose();
    big.dispose();
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

  it('basic-block nets (18/34) with skRatio > 0 get ResNet-D (stem above 32 px, pooled shortcuts) but no SK convolutions', () => {
    for (const depth of [18, 34] as ResnetDepth[]) {
      const shapes = variableShapes({ depth, widthMultiplier: 0.0625, skRatio: 0.0625, imageSize: 64 });
      expect([...shapes.keys()].filter((path) => path.includes('/sk/'))).toEqual([]);
      expect(shapes.get('encoder/block1_1/conv2/kernel')).toEqual([3, 3, 4, 4]);
      expect(shapes.has('encoder/stem/conv3/kernel')).toBe(true);
      // Same variables as without SK at 32 px (the shortcut's pooling has no parameters)...
      const withSk = countParameters({
        depth,
        widthMultiplier: 0.25,
        skRatio: 0.0625,
        imageSize: 32,
        projectionLayers: 0,
        projectionDim: 8,
      });
      const plain = countParameters({ depth, widthMultiplier: 0.25, skRatio: 0, imageSize: 32, projectionLayers: 0, projectionDim: 8 });
      expect(withSk.encoder).toBe(plain.encoder);
    }
    // ...but different outputs: the pooled shortcuts see every pixel.
    const x = images(2, 16, 9);
    const outputs = [0, 0.0625].map((skRatio) => {
      const store = new ParameterStore('test');
      const encoder = new ResnetEncoder(store, 'encoder', { depth: 18, widthMultiplier: 0.0625, skRatio, imageSize: 16 }, new Rng(1));
      const h = encoder.apply(x, false);
      const values = Array.from(h.dataSync());
      h.dispose();
      store.dispose();
      return values;
    });
    x.dispose();
    expect(Math.max(...outputs[0].map((v, i) => Math.abs(v - outputs[1][i])))).toBeGreaterThan(1e-3);
  });

  it('bottleneck nets (50/101/152) put an SK convolution in every block', () => {
    for (const depth of [50, 101, 152] as ResnetDepth[]) {
      const shapes = variableShapes({ depth, widthMultiplier: 0.0625, skRatio: 0.0625, imageSize: 16 });
      const blocks = new Set([...shapes.keys()].filter((path) => /\/block\d+_\d+\//.test(path)).map((path) => path.split('/')[1]));
      const skBlocks = new Set([...shapes.keys()].filter((path) => path.endsWith('/sk/conv/kernel')).map((path) => path.split('/')[1]));
      expect(skBlocks).toEqual(blocks);
      expect([...shapes.keys()].filter((path) => path.endsWith('/conv2/kernel'))).toEqual([]);
    }
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
