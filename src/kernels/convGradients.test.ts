import * as tf from '@tensorflow/tfjs';
// Registers the webgpu kernels (no device is needed for that), so their replacement can be checked.
import '@tensorflow/tfjs-backend-webgpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerTrainingKernels, restoreStockKernels, stockKernel } from './index';
import { relativeMaxDifference, runKernelFunc, startWasmBackendForTests } from '../testing/tfjsKernels';
import type { Conv2DPad } from './convGradientGeometry';
import { conv2dBackpropFilterByTapGemms, splitKGroups } from './filterGradientByTaps';

interface ConvCase {
  name: string;
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number | [number, number];
  pad: Conv2DPad;
}

// The shapes a CIFAR ResNet's convs take (3x3 stem/blocks, strided 3x3, 1x1 shortcuts), with odd
// sizes, channel counts not divisible by 4, batch > 1 and the padding variants tfjs accepts.
const cases: ConvCase[] = [
  { name: '3x3 s1 same (stem)', x: [2, 8, 8, 3], filter: [3, 3, 3, 5], strides: 1, pad: 'same' },
  { name: '3x3 s2 same, even size', x: [2, 8, 8, 5], filter: [3, 3, 5, 6], strides: 2, pad: 'same' },
  { name: '3x3 s2 same, odd size', x: [3, 9, 9, 5], filter: [3, 3, 5, 6], strides: 2, pad: 'same' },
  { name: '1x1 s2 valid (shortcut)', x: [3, 8, 8, 5], filter: [1, 1, 5, 7], strides: 2, pad: 'valid' },
  { name: '1x1 s2 valid, odd size', x: [2, 7, 7, 3], filter: [1, 1, 3, 6], strides: 2, pad: 'valid' },
  { name: '1x1 s1 valid', x: [2, 7, 7, 3], filter: [1, 1, 3, 6], strides: 1, pad: 'valid' },
  { name: '3x3 s1 valid', x: [2, 7, 6, 3], filter: [3, 3, 3, 2], strides: 1, pad: 'valid' },
  { name: '3x3 s2 valid, odd size', x: [2, 9, 9, 3], filter: [3, 3, 3, 2], strides: 2, pad: 'valid' },
  {
    name: '3x3 s2 explicit pad 1 (PyTorch-style)',
    x: [2, 8, 8, 3],
    filter: [3, 3, 3, 4],
    strides: 2,
    pad: [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ],
  },
  {
    name: '3x3 s1 explicit asymmetric pad',
    x: [2, 8, 8, 3],
    filter: [3, 3, 3, 4],
    strides: 1,
    pad: [
      [0, 0],
      [1, 2],
      [0, 1],
      [0, 0],
    ],
  },
  { name: '3x3 strides [2,1] same, non-square', x: [2, 6, 10, 3], filter: [3, 3, 3, 4], strides: [2, 1], pad: 'same' },
  { name: 'single channel, batch 1', x: [1, 5, 5, 1], filter: [3, 3, 1, 1], strides: 1, pad: 'same' },
  { name: '3x3 s2 numeric pad 1 (SimclrModel)', x: [2, 8, 8, 4], filter: [3, 3, 4, 6], strides: 2, pad: 1 },
  { name: '3x3 s2 numeric pad 1, odd size', x: [2, 9, 9, 4], filter: [3, 3, 4, 6], strides: 2, pad: 1 },
  { name: '1x1 s2 numeric pad 0 (SimclrModel shortcut)', x: [2, 8, 8, 4], filter: [1, 1, 4, 6], strides: 2, pad: 0 },
  { name: '7x7 s2 numeric pad 3 (ImageNet stem)', x: [2, 12, 12, 3], filter: [7, 7, 3, 4], strides: 2, pad: 3 },
  { name: '1x1 s2 numeric pad 1 (zero-spread path)', x: [2, 6, 6, 3], filter: [1, 1, 3, 4], strides: 2, pad: 1 },
  { name: '2x2 s3 valid (zero-spread path)', x: [2, 8, 8, 3], filter: [2, 2, 3, 2], strides: 3, pad: 'valid' },
  { name: '3x3 s3 valid, odd size', x: [2, 10, 11, 2], filter: [3, 3, 2, 3], strides: 3, pad: 'valid' },
  { name: '5x5 s2 same', x: [2, 11, 11, 2], filter: [5, 5, 2, 3], strides: 2, pad: 'same' },
];

function outputShape(c: ConvCase): [number, number, number, number] {
  const info = tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad);
  return info.outShape;
}

interface CaseData {
  x: Float32Array;
  dy: Float32Array;
  filter: Float32Array;
  expectedFilterGrad: Float32Array;
  expectedInputGrad: Float32Array;
}

function filterGradAttrs(c: ConvCase): tf.NamedAttrMap {
  return { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.filter };
}
function inputGradAttrs(c: ConvCase): tf.NamedAttrMap {
  return { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', inputShape: c.x };
}

/** Gradients straight from the definition, as a check that the stock reference is what we think. */
function naiveFilterGradient(c: ConvCase, x: Float32Array, dy: Float32Array): Float64Array {
  const info = tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad);
  const [kh, kw, ci, co] = c.filter;
  const [b, h, w] = c.x;
  const out = new Float64Array(kh * kw * ci * co);
  for (let n = 0; n < b; n++)
    for (let oh = 0; oh < info.outHeight; oh++)
      for (let ow = 0; ow < info.outWidth; ow++) {
        for (let i = 0; i < kh; i++)
          for (let j = 0; j < kw; j++) {
            const ih = oh * info.strideHeight + i - info.padInfo.top;
            const iw = ow * info.strideWidth + j - info.padInfo.left;
            if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
            for (let p = 0; p < ci; p++)
              for (let q = 0; q < co; q++) {
                out[((i * kw + j) * ci + p) * co + q] +=
                  x[((n * h + ih) * w + iw) * ci + p] * dy[((n * info.outHeight + oh) * info.outWidth + ow) * co + q];
              }
          }
      }
  return out;
}

const data = new Map<string, CaseData>();

/** `kernelFunc` on `backendName` gives tfjs's stock cpu filter gradient and frees what it made. */
async function expectFilterGradientOf(kernelFunc: tf.KernelFunc, backendName: string, c: ConvCase): Promise<void> {
  await tf.setBackend(backendName);
  const d = data.get(c.name)!;
  const idsBefore = tf.backend().numDataIds();
  const got = tf.tidy(() =>
    runKernelFunc(
      kernelFunc,
      {
        x: tf.tensor(d.x, c.x),
        dy: tf.tensor(d.dy, outputShape(c)),
      },
      filterGradAttrs(c),
    ),
  );
  expect(got.shape).toEqual(c.filter);
  expect(relativeMaxDifference(await got.data(), d.expectedFilterGrad)).toBeLessThan(1e-5);
  got.dispose();
  // Every intermediate the kernel made on the backend was released.
  expect(tf.backend().numDataIds()).toBe(idsBefore);
}

beforeAll(async () => {
  // References come from tfjs's own cpu kernels, computed before anything is replaced.
  await tf.setBackend('cpu');
  const stockFilter = tf.getKernel(tf.Conv2DBackpropFilter, 'cpu').kernelFunc;
  const stockInput = tf.getKernel(tf.Conv2DBackpropInput, 'cpu').kernelFunc;
  cases.forEach((c, i) => {
    tf.tidy(() => {
      const x = tf.randomNormal(c.x, 0, 1, 'float32', 10 + i);
      const dy = tf.randomNormal(outputShape(c), 0, 1, 'float32', 100 + i);
      const filter = tf.randomNormal(c.filter, 0, 1, 'float32', 200 + i);
      data.set(c.name, {
        x: x.dataSync() as Float32Array,
        dy: dy.dataSync() as Float32Array,
        filter: filter.dataSync() as Float32Array,
        expectedFilterGrad: runKernelFunc(stockFilter, { x, dy }, filterGradAttrs(c)).dataSync() as Float32Array,
        expectedInputGrad: runKernelFunc(stockInput, { dy, filter }, inputGradAttrs(c)).dataSync() as Float32Array,
      });
    });
  });
  registerTrainingKernels('cpu');
  await startWasmBackendForTests();
  registerTrainingKernels('wasm');
});

describe('the stock cpu reference', () => {
  it('matches the definition of the filter gradient', () => {
    for (const c of cases) {
      const d = data.get(c.name)!;
      expect(relativeMaxDifference(d.expectedFilterGrad, naiveFilterGradient(c, d.x, d.dy)), c.name).toBeLessThan(1e-5);
    }
  });
});

/** What the project replaces per backend (cpu keeps tfjs's input gradient: it is fast enough). */
const projectKernels: Record<string, string[]> = {
  wasm: [tf.Conv2DBackpropFilter, tf.Conv2DBackpropInput],
  cpu: [tf.Conv2DBackpropFilter],
};

describe.each(Object.keys(projectKernels))('project conv-gradient kernels on %s', (backendName) => {
  it('are the ones registered', () => {
    expect(registerTrainingKernels(backendName).sort()).toEqual([...projectKernels[backendName]].sort());
  });

  it.each(cases.map((c) => [c.name, c] as const))('Conv2DBackpropFilter: %s', async (_name, c) => {
    await expectFilterGradientOf(tf.getKernel(tf.Conv2DBackpropFilter, backendName).kernelFunc, backendName, c);
  });

  const inputGradientCases = projectKernels[backendName].includes(tf.Conv2DBackpropInput) ? cases : [];
  it.each(inputGradientCases.map((c) => [c.name, c] as const))('Conv2DBackpropInput: %s', async (_name, c) => {
    await tf.setBackend(backendName);
    const d = data.get(c.name)!;
    const idsBefore = tf.backend().numDataIds();
    const got = tf.tidy(() =>
      runKernelFunc(
        tf.getKernel(tf.Conv2DBackpropInput, backendName).kernelFunc,
        {
          dy: tf.tensor(d.dy, outputShape(c)),
          filter: tf.tensor(d.filter, c.filter),
        },
        inputGradAttrs(c),
      ),
    );
    expect(got.shape).toEqual(c.x);
    expect(relativeMaxDifference(await got.data(), d.expectedInputGrad)).toBeLessThan(1e-5);
    got.dispose();
    expect(tf.backend().numDataIds()).toBe(idsBefore);
  });
});

// The GPU filter gradient (one split-K GEMM per tap) only composes other kernels, so it is checked
// here on the cpu backend; the browser bench checks it against the stock webgpu kernel too.
describe.each([
  ['default split', undefined],
  ['many small groups', { targetTiles: 64, minRowsPerGroup: 3 }],
  ['no split', { targetTiles: 1, minRowsPerGroup: 1_000_000 }],
] as const)('Conv2DBackpropFilter by per-tap GEMMs (%s)', (_label, options) => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    await expectFilterGradientOf(conv2dBackpropFilterByTapGemms('cpu', options).kernelFunc, 'cpu', c);
  });
});

describe('split-K group count', () => {
  const options = { targetTiles: 2048, minRowsPerGroup: 256 };
  it('splits a long pixel sum into enough groups, each a whole share of the rows', () => {
    const rows = 128 * 32 * 32;
    const groups = splitKGroups(rows, 1, options);
    expect(groups).toBe(512);
    expect(rows % groups).toBe(0);
  });
  it('keeps groups at least minRowsPerGroup long and divides the rows exactly', () => {
    expect(splitKGroups(2 * 4 * 4, 1, options)).toBe(1);
    const odd = splitKGroups(7 * 13 * 13, 1, options);
    expect((7 * 13 * 13) % odd).toBe(0);
    expect((7 * 13 * 13) / odd).toBeGreaterThanOrEqual(256);
  });
  it('splits less when the output already has many tiles', () => {
    expect(splitKGroups(512 * 4 * 4, 16 * 16, options)).toBe(8);
  });
});

describe('registration', () => {
  it('is idempotent and remembers the stock kernels it replaced', () => {
    expect(registerTrainingKernels('wasm').sort()).toEqual(['Conv2DBackpropFilter', 'Conv2DBackpropInput']);
    expect(registerTrainingKernels('wasm').sort()).toEqual(['Conv2DBackpropFilter', 'Conv2DBackpropInput']);
    expect(stockKernel(tf.Conv2DBackpropFilter, 'wasm')).toBeNull();
    const stockInput = stockKernel(tf.Conv2DBackpropInput, 'wasm');
    expect(stockInput).not.toBeNull();
    expect(stockInput!.kernelFunc).not.toBe(tf.getKernel(tf.Conv2DBackpropInput, 'wasm').kernelFunc);
  });

  it('can put tfjs kernels back for a before/after comparison, keeping the ones tfjs lacks', () => {
    expect(restoreStockKernels('wasm').keptProjectKernels).toEqual([tf.Conv2DBackpropFilter]);
    expect(tf.getKernel(tf.Conv2DBackpropInput, 'wasm').kernelFunc).toBe(stockKernel(tf.Conv2DBackpropInput, 'wasm')!.kernelFunc);
    expect(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')).toBeDefined();
    expect(registerTrainingKernels('wasm').sort()).toEqual(['Conv2DBackpropFilter', 'Conv2DBackpropInput']);
    expect(tf.getKernel(tf.Conv2DBackpropInput, 'wasm').kernelFunc).not.toBe(stockKernel(tf.Conv2DBackpropInput, 'wasm')!.kernelFunc);
  });

  it('gives the GPU backends the per-tap GEMM filter gradient', () => {
    for (const backendName of ['webgpu', 'webgl']) {
      expect(registerTrainingKernels(backendName), backendName).toEqual([tf.Conv2DBackpropFilter]);
      const stock = stockKernel(tf.Conv2DBackpropFilter, backendName);
      expect(stock, backendName).not.toBeNull();
      expect(tf.getKernel(tf.Conv2DBackpropFilter, backendName).kernelFunc).not.toBe(stock!.kernelFunc);
    }
  });

  it('does nothing for backends that need nothing', () => {
    expect(registerTrainingKernels('tensorflow')).toEqual([]);
  });

  it('rejects NCHW data with a clear message', async () => {
    await tf.setBackend('wasm');
    const c = cases[0];
    expect(() =>
      tf.tidy(() =>
        runKernelFunc(
          tf.getKernel(tf.Conv2DBackpropFilter, 'wasm').kernelFunc,
          {
            x: tf.zeros(c.x),
            dy: tf.zeros(outputShape(c)),
          },
          { ...filterGradAttrs(c), dataFormat: 'NCHW' },
        ),
      ),
    ).toThrow(/NHWC/);
  });
});
