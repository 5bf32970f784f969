import * as tf from '@tensorflow/tfjs';
import { stageChannels } from '../core/model/index';
import { stockKernel } from '../kernels';
import { relativeMaxDifference } from '../kernels/compare';
import { median } from './stats';
import { conv2dBackpropFilterByTapGemms } from '../kernels/filterGradientByTaps';
import { conv2dBackpropFilterViaForwardConv } from '../kernels/wasmConvGradients';

/**
 * Per-layer timings of the Conv2DBackpropFilter variants on the current backend, over the conv
 * shapes of the reference step's CIFAR ResNet-18: how the project's kernels compare with the one
 * tfjs ships, layer by layer, and whether they agree with it numerically.
 */
export interface ConvLayerShape {
  name: string;
  size: number;
  inChannels: number;
  outChannels: number;
  stride: number;
  filter: number;
}

export function resnet18ConvLayers(widthMultiplier: number): ConvLayerShape[] {
  // The model's own widths, so the timed shapes are the ones a run at this width trains.
  const [c1, c2, c3, c4] = stageChannels(widthMultiplier);
  return [
    { name: 'stem 3x3', size: 32, inChannels: 3, outChannels: c1, stride: 1, filter: 3 },
    { name: 'stage1 3x3', size: 32, inChannels: c1, outChannels: c1, stride: 1, filter: 3 },
    { name: 'stage2 3x3 s2', size: 32, inChannels: c1, outChannels: c2, stride: 2, filter: 3 },
    { name: 'stage2 shortcut 1x1 s2', size: 32, inChannels: c1, outChannels: c2, stride: 2, filter: 1 },
    { name: 'stage2 3x3', size: 16, inChannels: c2, outChannels: c2, stride: 1, filter: 3 },
    { name: 'stage3 3x3', size: 8, inChannels: c3, outChannels: c3, stride: 1, filter: 3 },
    { name: 'stage4 3x3', size: 4, inChannels: c4, outChannels: c4, stride: 1, filter: 3 },
  ];
}

/** stock: tfjs's own kernel; registered: what the backend runs now (the project's, if it replaced one). */
export type FilterGradientVariant = 'stock' | 'registered' | 'tap-gemm' | 'forward-conv';

export interface KernelTiming {
  variant: FilterGradientVariant;
  /** Median over the timed repetitions, result read back each time. */
  msMedian: number | null;
  /** Largest |difference| relative to the largest |value| of the first variant that ran. */
  relativeDifference: number | null;
  error: string | null;
}

export interface LayerKernelReport {
  layer: ConvLayerShape;
  batch: number;
  gflop: number;
  timings: KernelTiming[];
}

export interface KernelBenchOptions {
  widthMultiplier: number;
  /** Views per step (2N): the batch the step's convs see. */
  batch: number;
  repetitions?: number;
  variants?: FilterGradientVariant[];
  layers?: string[];
}

function variantKernel(variant: FilterGradientVariant, backendName: string): tf.KernelFunc | null {
  if (variant === 'stock') return stockKernel(tf.Conv2DBackpropFilter, backendName)?.kernelFunc ?? null;
  if (variant === 'registered') return tf.getKernel(tf.Conv2DBackpropFilter, backendName)?.kernelFunc ?? null;
  if (variant === 'tap-gemm') return conv2dBackpropFilterByTapGemms(backendName).kernelFunc;
  return conv2dBackpropFilterViaForwardConv(backendName).kernelFunc;
}

async function timeKernel(
  kernel: tf.KernelFunc,
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  attrs: tf.NamedAttrMap,
  repetitions: number,
): Promise<{ ms: number; values: Float32Array }> {
  const run = () => {
    const out = kernel({ inputs: { x, dy }, attrs, backend: tf.backend() });
    if (Array.isArray(out)) throw new Error('Conv2DBackpropFilter returned several outputs');
    return tf.engine().makeTensorFromTensorInfo(out);
  };
  const first = run();
  const values = (await first.data()) as Float32Array;
  first.dispose();
  const times: number[] = [];
  for (let i = 0; i < repetitions; i++) {
    const start = performance.now();
    const out = run();
    await out.data();
    times.push(performance.now() - start);
    out.dispose();
  }
  return { ms: median(times), values };
}

export async function benchFilterGradientKernels(options: KernelBenchOptions): Promise<LayerKernelReport[]> {
  const backendName = tf.getBackend();
  const variants = options.variants ?? ['stock', 'registered', 'tap-gemm', 'forward-conv'];
  const repetitions = options.repetitions ?? 5;
  const layers = resnet18ConvLayers(options.widthMultiplier).filter((layer) => !options.layers || options.layers.includes(layer.name));
  const reports: LayerKernelReport[] = [];
  for (const layer of layers) {
    const out = layer.size / layer.stride;
    const pad = layer.filter === 3 ? 1 : 0;
    const x = tf.randomNormal([options.batch, layer.size, layer.size, layer.inChannels], 0, 1, 'float32', 1) as tf.Tensor4D;
    const dy = tf.randomNormal([options.batch, out, out, layer.outChannels], 0, 1, 'float32', 2) as tf.Tensor4D;
    const attrs: tf.NamedAttrMap = {
      strides: layer.stride,
      pad,
      dataFormat: 'NHWC',
      filterShape: [layer.filter, layer.filter, layer.inChannels, layer.outChannels],
    };
    const timings: KernelTiming[] = [];
    let reference: Float32Array | null = null;
    for (const variant of variants) {
      const kernel = variantKernel(variant, backendName);
      if (kernel === null) {
        timings.push({
          variant,
          msMedian: null,
          relativeDifference: null,
          error: `${backendName} has no ${variant} Conv2DBackpropFilter kernel`,
        });
        continue;
      }
      try {
        const { ms, values } = await timeKernel(kernel, x, dy, attrs, repetitions);
        const difference: number | null = reference === null ? null : relativeMaxDifference(values, reference);
        reference ??= values;
        timings.push({ variant, msMedian: ms, relativeDifference: difference, error: null });
      } catch (error) {
        timings.push({ variant, msMedian: null, relativeDifference: null, error: error instanceof Error ? error.message : String(error) });
      }
    }
    x.dispose();
    dy.dispose();
    const gflop = (2 * options.batch * out * out * layer.filter * layer.filter * layer.inChannels * layer.outChannels) / 1e9;
    reports.push({ layer, batch: options.batch, gflop, timings });
  }
  return reports;
}
